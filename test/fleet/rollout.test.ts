// Rollout truth from real ACKs: a SotW and a Delta stream driven through their state machines.

import { expect } from 'chai';
import type { RoutingModel } from '../../src/model/types.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { rollout } from '../../src/fleet/rollout.js';
import { TYPE, fakeDelta, fakeSotw, worldBuilder, worldModel, type HostTarget, type Recorded } from '../support/fake-stream.js';

describe('fleet/rollout', () => {
  it('a weight flip is applied to N of M proxies as each acknowledges the routes carrying it', () => {
    let snapshot: Snapshot | undefined;
    let model: RoutingModel | undefined;
    const build = worldBuilder();
    const publish = (hosts: Record<string, HostTarget>) => {
      snapshot = build(hosts);
      model = { virtualHosts: worldModel(hosts), clusters: [], tlsHosts: [], secrets: [] };
    };
    const sotw = fakeSotw(() => snapshot);
    const delta = fakeDelta(() => snapshot);
    const last = (record: Recorded, type: string) => record.sent.filter((s) => s.type === type).at(-1)!;
    // Only the route types matter here: each stream asks for routes and ACKs what it is sent when told.
    const askRoutes = () => {
      sotw.stream.onRequest({
        type_url: TYPE.RDS!,
        resource_names: ['ingress_http'],
        version_info: '',
        response_nonce: '',
        error_detail: null,
        node: { id: 's' },
      });
      delta.stream.onRequest({
        type_url: TYPE.VHDS!,
        resource_names_subscribe: [],
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: '',
        error_detail: null,
        node: { id: 'd' },
      });
    };
    const ackSotw = () => {
      const sent = last(sotw.record, 'RDS');
      sotw.stream.onRequest({
        type_url: TYPE.RDS!,
        resource_names: ['ingress_http'],
        version_info: sent.version,
        response_nonce: sent.nonce,
        error_detail: null,
      });
    };
    const ackDelta = () => {
      const sent = last(delta.record, 'VHDS');
      delta.stream.onRequest({
        type_url: TYPE.VHDS!,
        resource_names_subscribe: [],
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: sent.nonce,
        error_detail: null,
      });
    };
    const streams = () => [sotw.stream, delta.stream];
    const echo = () => rollout(model, snapshot, streams()).find((r) => r.host === 'echo.io')!;

    publish({ 'echo.io': { old: 5000, new: 5000 }, 'api.io': 'api' });
    askRoutes();
    expect(echo()).to.deep.include({ applied: 0, connected: 2 });
    ackSotw();
    ackDelta();
    // At the versions each kind of proxy was counted against: the whole configuration (SotW) and the host's own (Delta).
    const { whole, perHost } = echo().versions;
    expect(echo().text).to.equal(`echo.io/ (Prefix): old 50% / new 50% applied to 2 of 2 connected proxies at versions ${whole} (RDS), ${perHost} (VHDS)`);

    publish({ 'echo.io': { old: 0, new: 10000 }, 'api.io': 'api' });
    sotw.stream.pump();
    delta.stream.pump();
    expect(echo()).to.deep.include({ applied: 0, weights: 'echo.io/ (Prefix): old 0% / new 100%' });
    ackDelta();
    expect(echo().applied, 'the Delta proxy acknowledged the new host').to.equal(1);
    const api = rollout(model, snapshot, streams()).find((r) => r.host === 'api.io')!;
    expect(api.applied, 'an unchanged host: the Delta proxy runs it, the SotW proxy has a new whole configuration pending').to.equal(1);
    ackSotw();
    expect(echo().applied).to.equal(2);
  });
});
