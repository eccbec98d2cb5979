// The Gateway build as tables: listeners and their conditions, route attachment and its reasons,
// backendRefs and weights, taken from the Gateway API specification's own rules and examples.

import { expect } from 'chai';
import { buildModel, type ModelInput } from '../../src/model/build.js';
import { gatewayObjects } from '../../src/gateway/build.js';
import type { KubeObject } from '../../src/objects/kube.js';
import type { GatewayRouteEntry, RoutingModel } from '../../src/model/types.js';
import type { RouteStatus, StatusCondition } from '../../src/gateway/conditions.js';
import { blueGreenCluster, endpointSlice, selfSignedCertificate, service, tlsSecret } from '../support/fixtures.js';
import { gateway, gatewayClass, httpRoute, listener, referenceGrant } from '../support/gateway-fixtures.js';
import type { Json } from '../support/json.js';
import { isRelevant } from '../../src/store/store.js';

const HTTP_PORT = 8080;

function build(objects: Json[], extra: Partial<ModelInput> = {}, previous?: ReturnType<typeof buildModel>) {
  const all = [...(objects as KubeObject[]), ...(blueGreenCluster().services as KubeObject[]), ...(blueGreenCluster().endpointSlices as KubeObject[])].filter(
    isRelevant,
  );
  const of = <T extends KubeObject>(kind: string) => all.filter((o) => o.kind === kind) as T[];
  return buildModel(
    {
      ingresses: [],
      services: of('Service'),
      endpointSlices: of('EndpointSlice'),
      ingressClasses: [],
      secrets: of('Secret'),
      ingressClass: 'splitplane',
      gateway: { ...gatewayObjects(of), controllerName: 'splitplane.io/gateway-controller', ingressPorts: { http: HTTP_PORT, https: 8443 } },
      ...extra,
    },
    previous?.accepted,
  );
}

const route = (backendRefs: Json[], extra: Json = {}) =>
  httpRoute('echo', { parentRefs: [{ name: 'web' }], hostnames: ['mini-echo.io'], rules: [{ backendRefs }], ...extra });
const ref = (name: string, weight?: number, extra: Json = {}) => ({ name, port: 80, ...(weight === undefined ? {} : { weight }), ...extra });
const base = () => [gatewayClass(), gateway([listener('http', 9000)])];

function entries(model: RoutingModel, port = 9000, host = 'mini-echo.io'): GatewayRouteEntry[] {
  return model.gatewayPorts?.find((p) => p.port === port)?.virtualHosts.find((v) => v.host === host)?.gatewayRoutes ?? [];
}

function parentConditions(status: RouteStatus | undefined): string[] {
  return (status?.parents ?? []).map((p) => p.conditions.map((c) => `${c.type}=${c.status}:${c.reason}`).join(' '));
}

const brief = (conditions: readonly StatusCondition[]) => conditions.map((c) => `${c.type}=${c.status}:${c.reason}`);

describe('gateway/build', () => {
  describe('backendRefs and weights (HTTPRouteRule.backendRefs, BackendRef.weight)', () => {
    const table: Array<[string, Json[], Record<string, number>, boolean]> = [
      ['one backend, no weight: all of it', [ref('old-nginx')], { 'old-nginx': 10000 }, false],
      ['weights are relative, not percentages', [ref('old-nginx', 1), ref('new-nginx', 3)], { 'old-nginx': 2500, 'new-nginx': 7500 }, false],
      ['weight 0 takes nothing', [ref('old-nginx', 0), ref('new-nginx', 5)], { 'old-nginx': 0, 'new-nginx': 10000 }, false],
      ['every weight 0: the rule answers 500', [ref('old-nginx', 0), ref('new-nginx', 0)], { 'old-nginx': 0, 'new-nginx': 0 }, true],
      ['the spec maximum, 1,000,000', [ref('old-nginx', 1_000_000), ref('new-nginx', 1_000_000)], { 'old-nginx': 5000, 'new-nginx': 5000 }, false],
    ];
    for (const [name, refs, split, noBackend] of table) {
      it(name, () => {
        const r = build([...base(), route(refs)]);
        const [entry] = entries(r.model);
        expect(Object.fromEntries(entry!.rule.backends.map((b) => [b.service, b.basisPoints]))).to.deep.equal(split);
        expect(entry!.rule.noBackend).to.equal(noBackend);
        expect(r.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      });
    }

    const invalid: Array<[string, Json, string, Json[]]> = [
      ['a Service that does not exist', ref('ghost'), 'BackendNotFound', []],
      ['a port the Service does not have', ref('old-nginx', undefined, { port: 81 }), 'BackendNotFound', []],
      ['a kind other than Service', ref('old-nginx', undefined, { group: 'example.com', kind: 'Bucket' }), 'InvalidKind', []],
      ['a Service in another namespace without a ReferenceGrant', ref('old-nginx', undefined, { namespace: 'other' }), 'RefNotPermitted', []],
    ];
    for (const [name, bad, reason, extra] of invalid) {
      it(`${name}: ResolvedRefs False (${reason}) and its share answers 500`, () => {
        const r = build([...base(), route([ref('new-nginx'), bad]), ...extra]);
        const [entry] = entries(r.model);
        expect(entry!.rule.backends.map((b) => [b.cluster, b.basisPoints])).to.deep.equal([
          ['default/new-nginx/80', 5000],
          [null, 5000],
        ]);
        expect(parentConditions(r.gatewayStatuses!.routes[0])).to.deep.equal([`Accepted=True:Accepted ResolvedRefs=False:${reason}`]);
        expect(
          r.diagnostics.some((d) => d.object.kind === 'HTTPRoute' && d.field === 'spec.rules[0].backendRefs[1]' && d.message.includes('50% of the rule')),
        ).to.equal(true);
      });
    }

    it('a ReferenceGrant in the Service namespace lets the route use it; one naming another Service does not', () => {
      const other = [service('shop', [{ port: 80 }], 'other'), endpointSlice('shop', ['10.0.0.9'], 80, { namespace: 'other' })];
      const from = [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }];
      const granted = build([
        ...base(),
        route([ref('shop', undefined, { namespace: 'other' })]),
        ...other,
        referenceGrant('other', from, [{ group: '', kind: 'Service' }]),
      ]);
      expect(entries(granted.model)[0]!.rule.backends[0]!.cluster).to.equal('other/shop/80');
      const named = build([
        ...base(),
        route([ref('shop', undefined, { namespace: 'other' })]),
        ...other,
        referenceGrant('other', from, [{ group: '', kind: 'Service', name: 'cart' }]),
      ]);
      expect(entries(named.model)[0]!.rule.backends[0]!.cluster).to.equal(null);
      const wrongNamespace = build([
        ...base(),
        route([ref('shop', undefined, { namespace: 'other' })]),
        ...other,
        referenceGrant('default', from, [{ group: '', kind: 'Service' }]),
      ]);
      expect(entries(wrongNamespace.model)[0]!.rule.backends[0]!.cluster).to.equal(null);
    });

    it('a Service without ready endpoints keeps its share (Envoy answers 503 for it), unlike an Ingress split', () => {
      const r = build([...base(), route([ref('old-nginx'), ref('lonely')]), service('lonely')]);
      expect(entries(r.model)[0]!.rule.backends.map((b) => [b.service, b.basisPoints, b.ready])).to.deep.equal([
        ['old-nginx', 5000, true],
        ['lonely', 5000, false],
      ]);
      expect(parentConditions(r.gatewayStatuses!.routes[0])).to.deep.equal(['Accepted=True:Accepted ResolvedRefs=True:ResolvedRefs']);
    });
  });

  describe('attachment (ParentReference, AllowedRoutes, hostnames)', () => {
    const table: Array<[string, Json[], Json, string]> = [
      ['a listener of the Gateway takes the route', [listener('http', 9000)], {}, 'Accepted=True:Accepted'],
      ['sectionName names no listener', [listener('http', 9000)], { sectionName: 'https' }, 'Accepted=False:NoMatchingParent'],
      ['port names no listener', [listener('http', 9000)], { port: 9001 }, 'Accepted=False:NoMatchingParent'],
      ['sectionName and port both match', [listener('a', 9000), listener('b', 9001)], { sectionName: 'b', port: 9001 }, 'Accepted=True:Accepted'],
      [
        'the listener allows only GRPCRoute',
        [listener('http', 9000, { allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] } })],
        {},
        'Accepted=False:NotAllowedByListeners',
      ],
      [
        'no route hostname matches the listener hostname',
        [listener('http', 9000, { hostname: 'other.example' })],
        {},
        'Accepted=False:NoMatchingListenerHostname',
      ],
      ['a wildcard listener takes a precise route hostname', [listener('http', 9000, { hostname: '*.io' })], {}, 'Accepted=True:Accepted'],
    ];
    for (const [name, listeners, parent, expected] of table) {
      it(name, () => {
        const r = build([
          gatewayClass(),
          gateway(listeners),
          httpRoute('echo', { parentRefs: [{ name: 'web', ...parent }], hostnames: ['mini-echo.io'], rules: [{ backendRefs: [ref('old-nginx')] }] }),
        ]);
        expect(parentConditions(r.gatewayStatuses!.routes[0])[0]!.split(' ')[0]).to.equal(expected);
        expect(entries(r.model, listeners.length > 1 ? 9001 : 9000).length > 0).to.equal(expected === 'Accepted=True:Accepted');
      });
    }

    it('allowedRoutes.namespaces: Same (the default), All, and a Selector on namespace labels', () => {
      const foreign = httpRoute(
        'shop',
        { parentRefs: [{ name: 'web', namespace: 'default' }], rules: [{ backendRefs: [ref('old-nginx', undefined, { namespace: 'default' })] }] },
        { namespace: 'team' },
      );
      const grant = referenceGrant('default', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team' }], [{ group: '', kind: 'Service' }]);
      const accepted = (from: Json, objects: Json[] = []) =>
        parentConditions(
          build([gatewayClass(), gateway([listener('http', 9000, { allowedRoutes: { namespaces: from } })]), foreign, grant, ...objects]).gatewayStatuses!
            .routes[0],
        )[0]!.split(' ')[0];
      expect(accepted({})).to.equal('Accepted=False:NotAllowedByListeners');
      expect(accepted({ from: 'All' })).to.equal('Accepted=True:Accepted');
      const selector = { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } };
      expect(accepted(selector)).to.equal('Accepted=False:NotAllowedByListeners');
      expect(accepted(selector, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { shared: 'yes' } } }])).to.equal(
        'Accepted=True:Accepted',
      );
      expect(
        accepted({ from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team'] }] } }),
      ).to.equal('Accepted=True:Accepted');
    });

    it('a parentRef to a Gateway that does not exist: NoMatchingParent and a diagnostic; one to another controller’s Gateway is left alone', () => {
      const r = build([
        ...base(),
        gatewayClass('istio', 'istio.io/gateway-controller'),
        gateway([listener('http', 80)], { name: 'theirs', className: 'istio' }),
        httpRoute('echo', { parentRefs: [{ name: 'gone' }, { name: 'theirs' }], rules: [{ backendRefs: [ref('old-nginx')] }] }),
      ]);
      const status = r.gatewayStatuses!.routes[0]!;
      expect(status.parents.map((p) => p.parentRef.name)).to.deep.equal(['gone']);
      expect(parentConditions(status)[0]).to.match(/^Accepted=False:NoMatchingParent/);
      expect(r.diagnostics.some((d) => d.field === 'spec.parentRefs[0]' && d.message.includes('does not exist'))).to.equal(true);
    });

    it('hostnames: the route is served for the intersection with each listener, as the more precise name', () => {
      const r = build([
        gatewayClass(),
        gateway([listener('wild', 9000, { hostname: '*.example.com' }), listener('exact', 9000, { hostname: 'a.example.com' })]),
        httpRoute('echo', { parentRefs: [{ name: 'web' }], hostnames: ['*.example.com'], rules: [{ backendRefs: [ref('old-nginx')] }] }),
      ]);
      expect(r.model.gatewayPorts![0]!.virtualHosts.map((v) => v.host)).to.deep.equal(['*.example.com', 'a.example.com']);
      expect(r.gatewayStatuses!.gateways[0]!.listeners.map((l) => l.attachedRoutes)).to.deep.equal([1, 1]);
    });
  });

  describe('listeners (ListenerConditionType, across Gateways sharing one fleet)', () => {
    it('an unsupported protocol: Accepted False UnsupportedProtocol; the Gateway stays accepted for its other listeners', () => {
      const r = build([gatewayClass(), gateway([listener('http', 9000), listener('tcp', 9001, { protocol: 'TCP' })])]);
      const g = r.gatewayStatuses!.gateways[0]!;
      expect(brief(g.listeners[1]!.conditions)).to.include('Accepted=False:UnsupportedProtocol');
      expect(brief(g.conditions)).to.deep.equal(['Accepted=True:ListenersNotValid', 'Programmed=True:Programmed']);
      expect(r.model.gatewayPorts!.map((p) => p.port)).to.deep.equal([9000]);
    });

    it('two Gateways on one port with different protocols: the younger listener is Conflicted (ProtocolConflict), never two Envoy listeners', () => {
      const cert = selfSignedCertificate('a.example');
      const r = build([
        gatewayClass(),
        gateway([listener('http', 9000)], { name: 'old', creationTimestamp: '2026-01-01T00:00:00Z' }),
        gateway([listener('https', 9000, { protocol: 'HTTPS', hostname: 'a.example', tls: { certificateRefs: [{ name: 'cert' }] } })], {
          name: 'young',
          creationTimestamp: '2026-02-01T00:00:00Z',
        }),
        tlsSecret('cert', cert.certificate, cert.key),
      ]);
      const young = r.gatewayStatuses!.gateways.find((g) => g.ref.name === 'young')!;
      expect(brief(young.listeners[0]!.conditions)).to.include.members(['Conflicted=True:ProtocolConflict', 'Programmed=False:Invalid']);
      expect(brief(young.conditions)).to.deep.equal(['Accepted=False:ListenersNotValid', 'Programmed=False:Invalid']);
      expect(r.model.gatewayPorts).to.deep.equal([{ port: 9000, protocol: 'HTTP', virtualHosts: [] }]);
    });

    it('the same port and hostname in two Gateways: HostnameConflict on the younger', () => {
      const r = build([
        gatewayClass(),
        gateway([listener('a', 9000, { hostname: 'x.example' })], { name: 'a' }),
        gateway([listener('a', 9000, { hostname: 'x.example' })], { name: 'b' }),
      ]);
      expect(brief(r.gatewayStatuses!.gateways[1]!.listeners[0]!.conditions)).to.include('Conflicted=True:HostnameConflict');
    });

    it('an HTTP listener on the Ingress HTTP port shares its routes; an HTTPS one there is a ProtocolConflict', () => {
      const r = build([gatewayClass(), gateway([listener('http', HTTP_PORT, { hostname: 'mini-echo.io' })]), route([ref('old-nginx')])]);
      expect(r.model.gatewayPorts).to.equal(undefined);
      expect(r.model.virtualHosts.map((v) => [v.host, v.gatewayRoutes?.length])).to.deep.equal([['mini-echo.io', 1]]);
      const cert = selfSignedCertificate('a.example');
      const conflict = build([
        gatewayClass(),
        gateway([{ name: 'tls', port: HTTP_PORT, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c' }] } }]),
        tlsSecret('c', cert.certificate, cert.key),
      ]);
      expect(brief(conflict.gatewayStatuses!.gateways[0]!.listeners[0]!.conditions)).to.include('Conflicted=True:ProtocolConflict');
    });

    it('listener ports 80 and 443 are the Ingress ports (where the node ports 80 and 443 lead); a parentRef port still names 80', () => {
      const r = build([gatewayClass(), gateway([listener('http', 80)]), route([ref('old-nginx')], { parentRefs: [{ name: 'web', port: 80 }] })]);
      expect(r.model.gatewayPorts).to.equal(undefined);
      expect(r.model.virtualHosts.map((v) => [v.host, v.gatewayRoutes?.length])).to.deep.equal([['mini-echo.io', 1]]);
      expect(parentConditions(r.gatewayStatuses!.routes[0])).to.deep.equal(['Accepted=True:Accepted ResolvedRefs=True:ResolvedRefs']);
    });

    it('allowedRoutes.kinds with a kind we do not serve: ResolvedRefs False InvalidRouteKinds, and supportedKinds lists the rest', () => {
      const r = build([gatewayClass(), gateway([listener('http', 9000, { allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }, { kind: 'TCPRoute' }] } })])]);
      const l = r.gatewayStatuses!.gateways[0]!.listeners[0]!;
      expect(l.supportedKinds).to.deep.equal([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
      expect(brief(l.conditions)).to.include('ResolvedRefs=False:InvalidRouteKinds');
    });

    it('HTTPS certificateRefs: a missing Secret is InvalidCertificateRef, another namespace needs a ReferenceGrant (RefNotPermitted), a good one is sent by SDS', () => {
      const cert = selfSignedCertificate('a.example');
      const https = (certificateRefs: Json[]) => gateway([listener('https', 9443, { protocol: 'HTTPS', hostname: 'a.example', tls: { certificateRefs } })]);
      const listenerOf = (r: ReturnType<typeof build>) => brief(r.gatewayStatuses!.gateways[0]!.listeners[0]!.conditions);
      expect(listenerOf(build([gatewayClass(), https([{ name: 'none' }])]))).to.include.members([
        'ResolvedRefs=False:InvalidCertificateRef',
        'Programmed=False:Invalid',
      ]);
      const elsewhere = { ...tlsSecret('cert', cert.certificate, cert.key), metadata: { name: 'cert', namespace: 'certs' } };
      expect(listenerOf(build([gatewayClass(), https([{ name: 'cert', namespace: 'certs' }]), elsewhere]))).to.include('ResolvedRefs=False:RefNotPermitted');
      const grant = referenceGrant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }], [{ group: '', kind: 'Secret' }]);
      const ok = build([gatewayClass(), https([{ name: 'cert', namespace: 'certs' }]), elsewhere, grant]);
      expect(listenerOf(ok)).to.include.members(['ResolvedRefs=True:ResolvedRefs', 'Programmed=True:Programmed']);
      expect(ok.model.gatewayPorts).to.deep.equal([
        { port: 9443, protocol: 'HTTPS', virtualHosts: [], tls: [{ hostname: 'a.example', secrets: ['certs/cert'] }] },
      ]);
      expect(ok.model.secrets.map((s) => s.name)).to.deep.equal(['certs/cert']);
    });

    it('a GatewayClass of another controller, and its Gateways, are not ours: no status, nothing served', () => {
      const r = build([gatewayClass('other', 'example.com/controller'), gateway([listener('http', 9000)], { className: 'other' }), route([ref('old-nginx')])]);
      expect(r.gatewayStatuses).to.deep.equal({ classes: [], gateways: [], routes: [] });
      expect(r.model.gatewayPorts).to.equal(undefined);
    });

    it("Istio's networking.istio.io Gateway is another kind: it never reaches the build", () => {
      expect(isRelevant({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway' })).to.equal(false);
      expect(isRelevant({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' })).to.equal(true);
    });
  });

  describe('matches and precedence (HTTPRouteRule.matches)', () => {
    it('across routes: Exact, then the longest prefix, then method, headers and query parameters, then the oldest route', () => {
      const r = build([
        ...base(),
        httpRoute(
          'young',
          {
            parentRefs: [{ name: 'web' }],
            hostnames: ['mini-echo.io'],
            rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/a' } }, { path: { type: 'Exact', value: '/a' } }], backendRefs: [ref('new-nginx')] }],
          },
          { creationTimestamp: '2026-02-01T00:00:00Z' },
        ),
        httpRoute(
          'old',
          {
            parentRefs: [{ name: 'web' }],
            hostnames: ['mini-echo.io'],
            rules: [
              { matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [ref('old-nginx')] },
              {
                matches: [{ path: { type: 'PathPrefix', value: '/a/b' } }, { path: { type: 'PathPrefix', value: '/a' }, method: 'POST' }],
                backendRefs: [ref('old-nginx')],
              },
              {
                matches: [{ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'x', value: '1' }], queryParams: [{ name: 'q', value: '1' }] }],
                backendRefs: [ref('old-nginx')],
              },
            ],
          },
          { creationTimestamp: '2026-01-01T00:00:00Z' },
        ),
      ]);
      const order = entries(r.model).map((e) => `${e.rule.source.name}:${e.rule.rule}.${e.matchIndex}`);
      expect(order).to.deep.equal(['young:0.1', 'old:1.0', 'old:1.1', 'old:2.0', 'old:0.0', 'young:0.0']);
    });

    it('a regex RE2 refuses: Accepted False UnsupportedValue, an error on the field, and the last accepted version keeps serving', () => {
      const good = httpRoute('echo', { parentRefs: [{ name: 'web' }], hostnames: ['mini-echo.io'], rules: [{ backendRefs: [ref('old-nginx')] }] });
      const first = build([...base(), good]);
      const bad = httpRoute('echo', {
        parentRefs: [{ name: 'web' }],
        hostnames: ['mini-echo.io'],
        rules: [{ matches: [{ path: { type: 'RegularExpression', value: '/(?=look-ahead)' } }], backendRefs: [ref('new-nginx')] }],
      });
      const second = build([...base(), bad], {}, first);
      expect(parentConditions(second.gatewayStatuses!.routes[0])[0]).to.match(/^Accepted=False:UnsupportedValue/);
      expect(second.diagnostics.some((d) => d.severity === 'error' && d.field === 'spec.rules[0].matches[0].path.value')).to.equal(true);
      expect(entries(second.model)[0]!.rule.backends[0]!.service, 'the last accepted form').to.equal('old-nginx');
      const never = build([...base(), bad]);
      expect(entries(never.model)).to.deep.equal([]);
    });

    it('equivalent header names: only the first counts (names are case-insensitive)', () => {
      const r = build([
        ...base(),
        httpRoute('echo', {
          parentRefs: [{ name: 'web' }],
          hostnames: ['mini-echo.io'],
          rules: [
            {
              matches: [
                {
                  headers: [
                    { name: 'X-Ver', value: 'a' },
                    { name: 'x-ver', value: 'b' },
                  ],
                },
              ],
              backendRefs: [ref('old-nginx')],
            },
          ],
        }),
      ]);
      expect(entries(r.model)[0]!.match.conditions).to.deep.equal([{ kind: 'header', name: 'x-ver', exact: 'a' }]);
    });
  });
});
