// What the Gateway API CRDs (schema and CEL rules) make the API server refuse, refused the same way
// for manifests in a folder: an error naming the exact field. Valid objects pass through untouched.

import { expect } from 'chai';
import type { KubeObject } from '../../../src/objects/kube.js';
import { validateObject } from '../../../src/model/validation/validate.js';
import { gateway, gatewayClass, httpRoute, listener, referenceGrant } from '../../support/gateway-fixtures.js';
import type { Json } from '../../support/json.js';

const GW = () => gateway([listener('http', 80)]);
const ROUTE = () =>
  httpRoute('echo', {
    parentRefs: [{ name: 'web' }],
    hostnames: ['mini-echo.io'],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'old-nginx', port: 80, weight: 50 }] }],
  });
const GRPC = () =>
  httpRoute(
    'grpc',
    {
      parentRefs: [{ name: 'web' }],
      rules: [{ matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' } }], backendRefs: [{ name: 'g', port: 50051 }] }],
    },
    { kind: 'GRPCRoute' },
  );
const with_ = (base: () => Json, mutate: (o: Json) => void) => (): Json => {
  const copy = structuredClone(base());
  mutate(copy);
  return copy;
};

const refused: Array<[string, () => Json, string]> = [
  ['GatewayClass without controllerName', with_(gatewayClass, (o) => delete o.spec.controllerName), 'spec.controllerName'],
  ['GatewayClass controllerName without a domain', with_(gatewayClass, (o) => (o.spec.controllerName = 'splitplane')), 'spec.controllerName'],
  ['Gateway without listeners', with_(GW, (o) => (o.spec.listeners = [])), 'spec.listeners'],
  ['listener port 0', with_(GW, (o) => (o.spec.listeners[0].port = 0)), 'spec.listeners[0].port'],
  ['listener names twice', with_(GW, (o) => o.spec.listeners.push(listener('http', 81))), 'spec.listeners[1].name'],
  ['listener hostname with a port', with_(GW, (o) => (o.spec.listeners[0].hostname = 'a.example:80')), 'spec.listeners[0].hostname'],
  ['tls on an HTTP listener', with_(GW, (o) => (o.spec.listeners[0].tls = { certificateRefs: [{ name: 'c' }] })), 'spec.listeners[0].tls'],
  ['HTTPS without tls', with_(GW, (o) => (o.spec.listeners[0].protocol = 'HTTPS')), 'spec.listeners[0].tls'],
  [
    'HTTPS Terminate without certificateRefs',
    with_(GW, (o) => Object.assign(o.spec.listeners[0], { protocol: 'HTTPS', tls: { mode: 'Terminate' } })),
    'spec.listeners[0].tls.certificateRefs',
  ],
  [
    'allowedRoutes.namespaces.from unknown',
    with_(GW, (o) => (o.spec.listeners[0].allowedRoutes = { namespaces: { from: 'Everyone' } })),
    'spec.listeners[0].allowedRoutes.namespaces.from',
  ],
  ['route weight above 1,000,000', with_(ROUTE, (o) => (o.spec.rules[0].backendRefs[0].weight = 1_000_001)), 'spec.rules[0].backendRefs[0].weight'],
  ['route weight negative', with_(ROUTE, (o) => (o.spec.rules[0].backendRefs[0].weight = -1)), 'spec.rules[0].backendRefs[0].weight'],
  ['route weight as text', with_(ROUTE, (o) => (o.spec.rules[0].backendRefs[0].weight = '50')), 'spec.rules[0].backendRefs[0].weight'],
  ['a Service backendRef without port', with_(ROUTE, (o) => delete o.spec.rules[0].backendRefs[0].port), 'spec.rules[0].backendRefs[0].port'],
  ['a path that is not absolute', with_(ROUTE, (o) => (o.spec.rules[0].matches[0].path.value = 'api')), 'spec.rules[0].matches[0].path.value'],
  ['a path with //', with_(ROUTE, (o) => (o.spec.rules[0].matches[0].path.value = '/a//b')), 'spec.rules[0].matches[0].path.value'],
  ['a path type unknown', with_(ROUTE, (o) => (o.spec.rules[0].matches[0].path.type = 'Prefix')), 'spec.rules[0].matches[0].path.type'],
  [
    'a header name with a space',
    with_(ROUTE, (o) => (o.spec.rules[0].matches[0].headers = [{ name: 'x y', value: '1' }])),
    'spec.rules[0].matches[0].headers[0].name',
  ],
  [
    'the same header twice',
    with_(
      ROUTE,
      (o) =>
        (o.spec.rules[0].matches[0].headers = [
          { name: 'x', value: '1' },
          { name: 'x', value: '2' },
        ]),
    ),
    'spec.rules[0].matches[0].headers[1].name',
  ],
  ['a method unknown', with_(ROUTE, (o) => (o.spec.rules[0].matches[0].method = 'FETCH')), 'spec.rules[0].matches[0].method'],
  ['a hostname with upper case', with_(ROUTE, (o) => (o.spec.hostnames = ['Mini-Echo.io'])), 'spec.hostnames[0]'],
  ['17 rules', with_(ROUTE, (o) => (o.spec.rules = Array.from({ length: 17 }, () => o.spec.rules[0]))), 'spec.rules'],
  ['a filter type unknown', with_(ROUTE, (o) => (o.spec.rules[0].filters = [{ type: 'Teleport' }])), 'spec.rules[0].filters[0].type'],
  ['a filter without its field', with_(ROUTE, (o) => (o.spec.rules[0].filters = [{ type: 'RequestRedirect' }])), 'spec.rules[0].filters[0].requestRedirect'],
  [
    'RequestRedirect and URLRewrite together',
    with_(
      ROUTE,
      (o) =>
        (o.spec.rules[0].filters = [
          { type: 'RequestRedirect', requestRedirect: { hostname: 'a.example' } },
          { type: 'URLRewrite', urlRewrite: { hostname: 'b.example' } },
        ]),
    ),
    'spec.rules[0].filters',
  ],
  [
    'ReplacePrefixMatch without exactly one PathPrefix match',
    with_(ROUTE, (o) => {
      o.spec.rules[0].matches[0].path.type = 'Exact';
      o.spec.rules[0].filters = [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }];
    }),
    'spec.rules[0].filters[0].urlRewrite.path.type',
  ],
  [
    'a redirect status 305',
    with_(ROUTE, (o) => (o.spec.rules[0].filters = [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }])),
    'spec.rules[0].filters[0].requestRedirect.statusCode',
  ],
  [
    'a header value with a line break',
    with_(ROUTE, (o) => (o.spec.rules[0].filters = [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x', value: 'a\r\nb' }] } }])),
    'spec.rules[0].filters[0].requestHeaderModifier.set[0].value',
  ],
  ['a timeout that is not a duration', with_(ROUTE, (o) => (o.spec.rules[0].timeouts = { request: '10 seconds' })), 'spec.rules[0].timeouts.request'],
  [
    'backendRequest longer than request',
    with_(ROUTE, (o) => (o.spec.rules[0].timeouts = { request: '1s', backendRequest: '2s' })),
    'spec.rules[0].timeouts.backendRequest',
  ],
  ['a parentRef without name', with_(ROUTE, (o) => (o.spec.parentRefs = [{ sectionName: 'http' }])), 'spec.parentRefs[0].name'],
  ['a GRPCRoute method match naming nothing', with_(GRPC, (o) => (o.spec.rules[0].matches[0].method = { type: 'Exact' })), 'spec.rules[0].matches[0].method'],
  ['a GRPCRoute service name with a slash', with_(GRPC, (o) => (o.spec.rules[0].matches[0].method.service = 'a/b')), 'spec.rules[0].matches[0].method.service'],
  [
    'a GRPCRoute URLRewrite (HTTPRoute only)',
    with_(GRPC, (o) => (o.spec.rules[0].filters = [{ type: 'URLRewrite', urlRewrite: { hostname: 'a.example' } }])),
    'spec.rules[0].filters[0].type',
  ],
  ['a ReferenceGrant without from', () => referenceGrant('default', [], [{ group: '', kind: 'Service' }]), 'spec.from'],
  [
    'a ReferenceGrant from without namespace',
    () => referenceGrant('default', [{ group: '', kind: 'HTTPRoute' }], [{ group: '', kind: 'Service' }]),
    'spec.from[0].namespace',
  ],
];

describe('model/validation: Gateway API kinds', () => {
  for (const [name, make, field] of refused) {
    it(`refused: ${name} (${field})`, () => {
      const result = validateObject(make() as KubeObject);
      expect(result.valid, JSON.stringify(result.diagnostics)).to.equal(false);
      expect(
        result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.field),
        JSON.stringify(result.diagnostics),
      ).to.include(field);
    });
  }

  for (const [name, make] of [
    ['GatewayClass', gatewayClass],
    ['Gateway', GW],
    ['HTTPRoute', ROUTE],
    ['GRPCRoute', GRPC],
    [
      'ReferenceGrant',
      () => referenceGrant('default', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'a' }], [{ group: '', kind: 'Service' }]),
    ],
  ] as Array<[string, () => Json]>) {
    it(`a valid ${name} passes through as the same object`, () => {
      const object = make() as KubeObject;
      const result = validateObject(object);
      expect(result.valid, JSON.stringify(result.diagnostics)).to.equal(true);
      if (result.valid) expect(result.object).to.equal(object);
    });
  }

  it('names equal but for case are allowed (only the first counts when served)', () => {
    const route = with_(
      ROUTE,
      (o) =>
        (o.spec.rules[0].matches[0].headers = [
          { name: 'X', value: '1' },
          { name: 'x', value: '2' },
        ]),
    )();
    expect(validateObject(route as KubeObject).valid).to.equal(true);
  });
});
