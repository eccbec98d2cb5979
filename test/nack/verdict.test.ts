// judgeNack: what a traced NACK may change for everyone else, as a table of fleets.

import { expect } from 'chai';
import { buildModel } from '../../src/model/build.js';
import type { EndpointSlice, Ingress, KubeObject } from '../../src/objects/kube.js';
import { traceNack, type BuildRecord } from '../../src/nack/trace.js';
import { judgeNack, type FleetMember } from '../../src/nack/verdict.js';
import { translate } from '../../src/resources/translate.js';
import { LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, type TypeUrl } from '../../src/proto/type-urls.js';
import { Snapshot, type RoutingView } from '../../src/snapshot/snapshot.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';

const W = 'ingress.aliyun.weight/new-nginx';
const SERVICES = [service('old-nginx'), service('new-nginx'), service('api')];
const SLICES = [endpointSlice('old-nginx', ['10.0.0.1'], 80), endpointSlice('new-nginx', ['10.0.0.2'], 80), endpointSlice('api', ['10.0.0.3'], 80)];

function build(ingresses: Ingress[], slices: EndpointSlice[] = SLICES, previous?: BuildRecord): BuildRecord {
  const result = buildModel({ ingresses, services: SERVICES, endpointSlices: slices, ingressClasses: [], ingressClass: 'splitplane' }, previous?.accepted);
  return { snapshot: Snapshot.fromResources(translate(result.model, { http: { address: '0.0.0.0', port: 8080 } })), accepted: result.accepted };
}

const echo50 = ingress({ name: 'echo', annotations: { [W]: '50' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
const echo100 = ingress({ name: 'echo', annotations: { [W]: '100' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
const api = ingress({ name: 'api', host: 'api.test', paths: [{ service: 'api' }] });
const fresh = ingress({ name: 'fresh', host: 'fresh.test', paths: [{ service: 'api' }] });
const b0 = build([api]); // before echo existed
const b1 = build([echo50, api], SLICES, b0);
const b2 = build([echo100, api, fresh], SLICES, b1); // the refused build
const history = [b0, b1, b2];

/** A client running `build` in `view` for the given types, holding every resource of them. */
function member(
  id: number,
  view: RoutingView,
  at: BuildRecord | undefined,
  types: TypeUrl[] = [LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE],
  only?: string[],
): FleetMember {
  return {
    id,
    view,
    runs(typeUrl) {
      if (!at || !types.includes(typeUrl)) return undefined;
      const type = at.snapshot.type(typeUrl, view);
      const resources = only ? new Map([...type.resources].filter(([name]) => only.includes(name))) : type.resources;
      return { version: type.version, resources };
    },
  };
}

/** The refusal of b2's routes by client 1 (running b1), judged with the fleet and earlier refusals. */
function judge(
  fleet: FleetMember[],
  earlier: Record<number, number[]> = {},
  runningBuild: BuildRecord = b1,
  typeUrl: TypeUrl = ROUTE_TYPE,
  view: RoutingView = 'whole',
  windowPassed = false,
) {
  const trace = traceNack(
    { typeUrl, version: b2.snapshot.version(typeUrl, view), running: runningBuild.snapshot.version(typeUrl, view), message: 'bad route', view },
    history,
  );
  if ('why' in trace) throw new Error(trace.why);
  const refusers = (form: KubeObject) => new Set([1, ...(form === echo100 ? (earlier[0] ?? []) : [])]);
  return judgeNack(typeUrl, trace.suspects, 1, history, fleet, refusers, () => windowPassed).map((v) => ({
    key: v.suspect.key,
    outcome: v.outcome,
    votes: `${v.refusals}/${v.eligible} (${v.needed})`,
    restore: v.restore === undefined ? 'nothing' : v.restore === echo50 ? 'echo50' : v.restore === echo100 ? 'echo100' : 'other',
  }));
}

describe('nack/verdict', () => {
  const cases: Array<[string, () => ReturnType<typeof judge>, Array<Partial<ReturnType<typeof judge>[number]>>]> = [
    [
      'the only client refuses: the change rolls back to the form it runs; a new Ingress is left out',
      () => judge([member(1, 'whole', b1)]),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', votes: '1/1 (1)', restore: 'echo50' },
        { key: 'Ingress/default/fresh', outcome: 'rolled-back', votes: '1/1 (1)', restore: 'nothing' },
      ],
    ],
    [
      'one of two clients refuses: held, it keeps being served',
      () => judge([member(1, 'whole', b1), member(2, 'whole', b1)]),
      [
        { key: 'Ingress/default/echo', outcome: 'held', votes: '1/2 (2)' },
        { key: 'Ingress/default/fresh', outcome: 'held', votes: '1/2 (2)' },
      ],
    ],
    [
      'the second of two clients refuses the same form: rolled back',
      () => judge([member(1, 'whole', b1), member(2, 'whole', b1)], { 0: [2] }),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', votes: '2/2 (2)', restore: 'echo50' },
        { key: 'Ingress/default/fresh', outcome: 'held' },
      ],
    ],
    [
      'three of four refused and one has not answered: awaiting its answer (a well-behaved client is not outrun)',
      () => judge([member(1, 'whole', b1), member(2, 'whole', b1), member(3, 'whole', b1), member(4, 'whole', b1)], { 0: [2, 3] }),
      [
        { key: 'Ingress/default/echo', outcome: 'awaiting', votes: '3/4 (3)' },
        { key: 'Ingress/default/fresh', outcome: 'held' },
      ],
    ],
    [
      'three of four refused and the answer window passed: rolled back without the silent one',
      () =>
        judge([member(1, 'whole', b1), member(2, 'whole', b1), member(3, 'whole', b1), member(4, 'whole', b1)], { 0: [2, 3] }, b1, ROUTE_TYPE, 'whole', true),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', votes: '3/4 (3)', restore: 'echo50' },
        { key: 'Ingress/default/fresh', outcome: 'held' },
      ],
    ],
    [
      'a SotW Envoy runs the refused form: protected, whatever the votes',
      () => judge([member(1, 'whole', b1), member(2, 'whole', b2)], { 0: [2, 3, 4] }),
      [
        { key: 'Ingress/default/echo', outcome: 'protected' },
        { key: 'Ingress/default/fresh', outcome: 'protected' },
      ],
    ],
    [
      "a Delta Envoy runs the refused form over VHDS: protected, across views (the refusing client's view is whole)",
      () => judge([member(1, 'whole', b1), member(2, 'per-host', b2, [VIRTUAL_HOST_TYPE])]),
      [
        { key: 'Ingress/default/echo', outcome: 'protected' },
        { key: 'Ingress/default/fresh', outcome: 'protected' },
      ],
    ],
    [
      'a gRPC client holding only api.test does not run echo: not protected by it',
      () => judge([member(1, 'whole', b1), member(2, 'grpc', b2, [ROUTE_TYPE], ['grpc/api.test'])], { 0: [2] }),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', votes: '2/2 (2)', restore: 'echo50' },
        { key: 'Ingress/default/fresh', outcome: 'held' },
      ],
    ],
    [
      'a client that never ACKed a route type is not counted',
      () => judge([member(1, 'whole', b1), member(2, 'whole', undefined)]),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', votes: '1/1 (1)' },
        { key: 'Ingress/default/fresh', outcome: 'rolled-back', votes: '1/1 (1)' },
      ],
    ],
    [
      'the rollback restores the newest form a connected client runs',
      () => judge([member(1, 'whole', b0)], {}, b0),
      [
        { key: 'Ingress/default/echo', outcome: 'rolled-back', restore: 'nothing' },
        { key: 'Ingress/default/fresh', outcome: 'rolled-back', restore: 'nothing' },
      ],
    ],
  ];
  for (const [description, run, expected] of cases) {
    it(description, () => {
      const verdicts = run();
      expect(verdicts.length).to.equal(expected.length);
      verdicts.forEach((v, i) => expect(v).to.include(expected[i]!));
    });
  }

  it('a client running b0 refuses b2 while another runs b1: echo goes back to the form b1 has, never to nothing', () => {
    const verdicts = judge([member(1, 'whole', b0), member(3, 'whole', b1, [VIRTUAL_HOST_TYPE], [])], { 0: [3] }, b0);
    // Client 3 holds no route built from echo (it holds nothing), so echo50 is not run; the new form is refused by 2 of 2.
    expect(verdicts.find((v) => v.key === 'Ingress/default/echo')).to.include({ outcome: 'rolled-back', restore: 'nothing' });
    const running = judge([member(1, 'whole', b0), member(3, 'per-host', b1, [VIRTUAL_HOST_TYPE])], { 0: [3] }, b0);
    expect(running.find((v) => v.key === 'Ingress/default/echo')).to.include({ outcome: 'rolled-back', restore: 'echo50' });
  });
});
