import { expect } from 'chai';
import { RolloutWatcher, type RolloutEvent } from '../../src/kube/rollout-events.js';
import type { ClientStatus } from '../../src/xds/client-status.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { proxyStatus } from '../support/fixtures.js';

const WEIGHTS = 'mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%';
const summary = { kind: 'Ingress', namespace: 'default', ingress: 'echo', text: WEIGHTS };
const group = (applied: number, connected: number): GroupRollout => ({
  ingress: 'default/echo',
  host: 'mini-echo.io',
  path: '/',
  pathType: 'Prefix',
  weights: WEIGHTS,
  backends: [],
  rules: [],
  versions: { whole: 'v', perHost: 'h', grpc: null },
  applied,
  connected,
  text: `${WEIGHTS} applied to ${applied} of ${connected} connected proxies`,
});
const proxy = (node: string, state: ClientStatus['state']) => proxyStatus(node, state);

describe('kube/rollout-events', () => {
  let clock = 0;
  let events: RolloutEvent[] = [];
  const watcher = () =>
    new RolloutWatcher(
      (e) => events.push(e),
      60_000,
      () => clock,
    );
  beforeEach(() => {
    clock = 0;
    events = [];
  });

  it('a Normal RolloutComplete once every connected proxy runs the new weights, and only once', () => {
    const w = watcher();
    w.changed([summary]);
    w.check({ groups: [group(1, 2)], clients: [] });
    expect(events).to.deep.equal([]);
    w.check({ groups: [group(2, 2)], clients: [] });
    expect(events).to.deep.equal([
      {
        kind: 'Ingress',
        namespace: 'default',
        ingress: 'echo',
        type: 'Normal',
        reason: 'RolloutComplete',
        message: `${WEIGHTS} applied to 2 of 2 connected proxies`,
      },
    ]);
    w.check({ groups: [group(2, 2)], clients: [] });
    expect(events).to.have.length(1);
    expect(w.watching).to.equal(0);
  });

  it('a Warning RolloutStalled past the timeout, naming the proxies that refused or have not taken it', () => {
    const w = watcher();
    w.changed([summary]);
    const state = { groups: [group(1, 3)], clients: [proxy('a', 'SYNCED'), proxy('b', 'NACKED'), proxy('c', 'STALE')] };
    clock = 59_000;
    w.check(state);
    expect(events).to.deep.equal([]);
    clock = 61_000;
    w.check(state);
    expect(events).to.deep.equal([
      {
        kind: 'Ingress',
        namespace: 'default',
        ingress: 'echo',
        type: 'Warning',
        reason: 'RolloutStalled',
        message: `${WEIGHTS} applied to 1 of 3 connected proxies after 60 s; refused by: b; not yet taken by: c`,
      },
    ]);
  });

  it('no proxy connected: waits, then says so; weights changed again: the older split is dropped quietly', () => {
    const w = watcher();
    w.changed([summary]);
    w.check({ groups: [group(0, 0)], clients: [] });
    expect(events).to.deep.equal([]);
    clock = 61_000;
    w.check({ groups: [group(0, 0)], clients: [] });
    expect(events.map((e) => e.message)).to.deep.equal([`${WEIGHTS}: no proxy is connected after 60 s`]);
    const again = watcher();
    again.changed([summary]);
    clock = 200_000;
    again.check({ groups: [{ ...group(1, 1), weights: 'mini-echo.io/ (Prefix): new-nginx 100%' }], clients: [] });
    expect(events).to.have.length(1);
    expect(again.watching).to.equal(0);
  });
});
