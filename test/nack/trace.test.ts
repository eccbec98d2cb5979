// traceNack: which objects a NACK blames, from two builds and Envoy's text.

import { expect } from 'chai';
import { buildModel } from '../../src/model/build.js';
import type { EndpointSlice, Ingress } from '../../src/objects/kube.js';
import { mentions, traceNack, type BuildRecord } from '../../src/nack/trace.js';
import { translate } from '../../src/resources/translate.js';
import { ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import { DEFAULT_CONTROLLER_NAME, gatewayObjects } from '../../src/gateway/build.js';
import type { KubeObject } from '../../src/objects/kube.js';

const W = 'ingress.aliyun.weight/new-nginx';

// As in the store, an unchanged object is the same object in every build.
const SERVICES = [service('old-nginx'), service('new-nginx'), service('api')];

function build(ingresses: Ingress[], slices: EndpointSlice[], previous?: BuildRecord): BuildRecord {
  const result = buildModel({ ingresses, services: SERVICES, endpointSlices: slices, ingressClasses: [], ingressClass: 'splitplane' }, previous?.accepted);
  return { snapshot: Snapshot.fromResources(translate(result.model, { http: { address: '0.0.0.0', port: 8080 } })), accepted: result.accepted };
}

describe('nack/trace', () => {
  const echo = ingress({ name: 'echo', annotations: { [W]: '50' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
  const api = ingress({ name: 'api', host: 'api.test', paths: [{ service: 'api' }] });
  const slices = [endpointSlice('old-nginx', ['10.0.0.1'], 80), endpointSlice('new-nginx', ['10.0.0.2'], 80), endpointSlice('api', ['10.0.0.3'], 80)];
  const running = build([echo, api], slices);
  // Next build: new-nginx's slice and the echo Ingress change; api stays.
  const newSlice = endpointSlice('new-nginx', ['10.0.0.9'], 80);
  const echo100 = ingress({ name: 'echo', annotations: { [W]: '100' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
  const refused = build([echo100, api], [slices[0]!, newSlice, slices[2]!], running);
  const history = [running, refused];
  const nack = (
    typeUrl: typeof ENDPOINT_TYPE | typeof ROUTE_TYPE | typeof LISTENER_TYPE | typeof VIRTUAL_HOST_TYPE,
    message: string,
    runningVersion: string | undefined = running.snapshot.version(typeUrl),
  ) => traceNack({ typeUrl, version: refused.snapshot.version(typeUrl), running: runningVersion, message }, history);

  const cases: Array<[string, () => ReturnType<typeof traceNack>, string[]]> = [
    [
      'EDS naming its cluster: the changed slice, not the unchanged Service',
      () => nack(ENDPOINT_TYPE, "cluster 'default/new-nginx/80': bad endpoint"),
      ['EndpointSlice/default/new-nginx-slice'],
    ],
    [
      'EDS naming nothing: the objects behind every changed assignment',
      () => nack(ENDPOINT_TYPE, 'Proto constraint validation failed'),
      ['EndpointSlice/default/new-nginx-slice'],
    ],
    ['RDS: the Ingress that changed, not the one that did not', () => nack(ROUTE_TYPE, 'route config ingress_http: bad'), ['Ingress/default/echo']],
    [
      'the first version refused (the client never ACKed the type): nothing to blame beyond that client',
      () =>
        traceNack(
          { typeUrl: ENDPOINT_TYPE, version: refused.snapshot.version(ENDPOINT_TYPE), running: undefined, message: 'default/new-nginx/80 bad' },
          history,
        ),
      [],
    ],
    [
      'a forged text naming a resource the client did not subscribe to: only its own changed resources',
      () =>
        traceNack(
          {
            typeUrl: VIRTUAL_HOST_TYPE,
            version: refused.snapshot.version(VIRTUAL_HOST_TYPE),
            running: running.snapshot.version(VIRTUAL_HOST_TYPE),
            message: 'virtual host ingress_http/mini-echo.io: bad',
            subscribed: (name) => name === 'ingress_http/api.test',
          },
          history,
        ),
      [],
    ],
    ['VHDS naming an unchanged host: nothing to blame', () => nack(VIRTUAL_HOST_TYPE, 'virtual host ingress_http/api.test: bad'), []],
    ['the version the client runs is older than the remembered builds: nothing to blame', () => nack(ROUTE_TYPE, 'bad', 'eeeeeeeeeeeeeeee'), []],
    [
      'a stale-cluster version (+suffix) is the same build',
      () =>
        traceNack(
          {
            typeUrl: ENDPOINT_TYPE,
            version: `${refused.snapshot.version(ENDPOINT_TYPE)}+abcd1234`,
            running: running.snapshot.version(ENDPOINT_TYPE),
            message: 'default/new-nginx/80',
          },
          history,
        ),
      ['EndpointSlice/default/new-nginx-slice'],
    ],
    ['VHDS naming a host: the Ingress that names it', () => nack(VIRTUAL_HOST_TYPE, 'virtual host ingress_http/mini-echo.io: bad'), ['Ingress/default/echo']],
    ['LDS, unchanged between the builds: nothing to blame', () => nack(LISTENER_TYPE, 'bad listener'), []],
    [
      'a version never built here: nothing to blame',
      () => traceNack({ typeUrl: ROUTE_TYPE, version: 'ffffffffffffffff', running: undefined, message: '' }, history),
      [],
    ],
  ];
  for (const [description, run, expected] of cases) {
    it(description, () => {
      const trace = run();
      expect(trace.suspects.map((s) => s.key)).to.deep.equal(expected);
      if (expected.length === 0) expect('why' in trace && trace.why).to.be.a('string');
    });
  }

  it('each suspect carries the refused form and the form the proxy runs', () => {
    const [suspect] = nack(ROUTE_TYPE, 'bad').suspects;
    expect(suspect!.object).to.equal(echo100);
    expect(suspect!.running).to.equal(echo);
  });

  it("a gRPC client's NACK is traced in its own view: its host's route configuration, that host's Ingress", () => {
    const trace = traceNack(
      {
        typeUrl: ROUTE_TYPE,
        version: refused.snapshot.version(ROUTE_TYPE, 'grpc'),
        running: running.snapshot.version(ROUTE_TYPE, 'grpc'),
        message: 'RouteConfiguration message validation failed: grpc/mini-echo.io',
        view: 'grpc',
      },
      history,
    );
    expect(trace.suspects.map((s) => [s.key, s.resources])).to.deep.equal([['Ingress/default/echo', ['grpc/mini-echo.io']]]);
  });

  it('a NACK of a Gateway listener port blames the HTTPRoute that changed, not the Ingresses or the unchanged routes', () => {
    const objects = (weight: number) => [
      gatewayClass(),
      gateway([listener('http', 9080)]),
      httpRoute('shop', { parentRefs: [{ name: 'web' }], hostnames: ['shop.test'], rules: [{ backendRefs: [{ name: 'api', port: 80 }] }] }),
      httpRoute('echo', {
        parentRefs: [{ name: 'web' }],
        hostnames: ['mini-echo.io'],
        rules: [
          {
            backendRefs: [
              { name: 'old-nginx', port: 80, weight },
              { name: 'new-nginx', port: 80 },
            ],
          },
        ],
      }),
    ];
    const first = objects(1);
    const buildWith = (list: KubeObject[], previous?: BuildRecord): BuildRecord => {
      const of = <T extends KubeObject>(kind: string) => list.filter((o) => o.kind === kind) as T[];
      const result = buildModel(
        {
          ingresses: [echo, api],
          services: SERVICES,
          endpointSlices: slices,
          ingressClasses: [],
          ingressClass: 'splitplane',
          gateway: { ...gatewayObjects(of), controllerName: DEFAULT_CONTROLLER_NAME, ingressPorts: { http: 8080 } },
        },
        previous?.accepted,
      );
      return { snapshot: Snapshot.fromResources(translate(result.model, { http: { address: '0.0.0.0', port: 8080 } })), accepted: result.accepted };
    };
    const before = buildWith(first as KubeObject[]);
    const changed = [...first.slice(0, 3), objects(3)[3]] as KubeObject[];
    const after = buildWith(changed, before);
    for (const [typeUrl, message] of [
      [ROUTE_TYPE, 'route config gateway_9080: bad'],
      [VIRTUAL_HOST_TYPE, 'gateway_9080/mini-echo.io: bad'],
    ] as const) {
      const trace = traceNack({ typeUrl, version: after.snapshot.version(typeUrl), running: before.snapshot.version(typeUrl), message }, [before, after]);
      expect(
        trace.suspects.map((s) => s.key),
        message,
      ).to.deep.equal(['HTTPRoute/default/echo']);
    }
  });

  it('a name is mentioned only as a whole word', () => {
    expect(mentions("cluster 'default/a/80': x", 'default/a/80')).to.equal(true);
    expect(mentions('default/a/80.', 'default/a/80')).to.equal(true);
    expect(mentions('default/a/8080', 'default/a/80')).to.equal(false);
    expect(mentions('xdefault/a/80', 'default/a/80')).to.equal(false);
    expect(mentions('ingress_http_2', 'ingress_http')).to.equal(false);
  });
});
