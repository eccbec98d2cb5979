import { expect } from 'chai';
import { SnapshotCache, WAKE_BATCH } from '../../src/snapshot/cache.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../src/proto/type-urls.js';
import { edsCluster } from '../../src/resources/cluster.js';
import { loadAssignment } from '../../src/resources/endpoint.js';

const snapshot = (name: string) =>
  Snapshot.fromResources({
    [LISTENER_TYPE]: [],
    [ROUTE_TYPE]: [],
    [CLUSTER_TYPE]: [edsCluster({ name })],
    [ENDPOINT_TYPE]: [loadAssignment({ name, endpoints: [] })],
    [SECRET_TYPE]: [],
  });
const turn = () => new Promise((r) => setImmediate(r));

describe('snapshot/cache', () => {
  it('wakes the first watchers at once and the rest a batch per turn, in order, each once', async () => {
    const cache = new SnapshotCache();
    const woken: number[] = [];
    for (let i = 0; i < 3 * WAKE_BATCH + 5; i++) cache.watch(() => woken.push(i));
    cache.publish(snapshot('a'));
    expect(woken, 'the first batch, before any other work').to.have.length(WAKE_BATCH);
    for (let i = 0; i < 5; i++) await turn();
    expect(woken).to.deep.equal([...Array(3 * WAKE_BATCH + 5).keys()]);
  });

  it('a newer snapshot starts the round again; nobody is woken with a superseded one', async () => {
    const cache = new SnapshotCache();
    const seen: string[] = [];
    for (let i = 0; i < 2 * WAKE_BATCH; i++) cache.watch((s) => seen.push(s.type(CLUSTER_TYPE).resources.keys().next().value as string));
    cache.publish(snapshot('a'));
    cache.publish(snapshot('b'));
    for (let i = 0; i < 5; i++) await turn();
    expect(seen.filter((n) => n === 'a')).to.have.length(WAKE_BATCH);
    expect(seen.filter((n) => n === 'b')).to.have.length(2 * WAKE_BATCH);
  });

  it('a watcher that stops is not woken', async () => {
    const cache = new SnapshotCache();
    let woken = 0;
    for (let i = 0; i < 2 * WAKE_BATCH; i++) cache.watch(() => woken++);
    const stop = cache.watch(() => woken++);
    cache.publish(snapshot('a'));
    stop();
    for (let i = 0; i < 5; i++) await turn();
    expect(woken).to.equal(2 * WAKE_BATCH);
  });
});
