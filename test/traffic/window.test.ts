import { expect } from 'chai';
import { TrafficWindow } from '../../src/traffic/window.js';
import type { ClusterLoad } from '../../src/traffic/lrs-messages.js';

const load = (cluster: string, succeeded: number, failed = 0, inFlight = 0): ClusterLoad => ({
  cluster,
  serviceName: '',
  succeeded,
  failed,
  issued: succeeded + failed,
  inFlight,
  dropped: 0,
  intervalMs: 2000,
});

describe('traffic/window', () => {
  it('sums each proxy over (from, to] and keeps in-flight from its last report', () => {
    const w = new TrafficWindow(60_000);
    w.record('a@1', load('c', 10, 1, 2), 1000);
    w.record('a@1', load('c', 20, 0, 5), 3000);
    w.record('b@2', load('c', 5), 3000);
    w.record('a@1', load('other', 99), 3000);
    expect(w.counts('c', 0, 3000)).to.deep.equal([
      { proxy: 'a@1', requests: 31, failed: 1, inFlight: 5 },
      { proxy: 'b@2', requests: 5, failed: 0, inFlight: 0 },
    ]);
    expect(w.counts('c', 1000, 3000)).to.deep.equal([
      { proxy: 'a@1', requests: 20, failed: 0, inFlight: 5 },
      { proxy: 'b@2', requests: 5, failed: 0, inFlight: 0 },
    ]);
    expect(w.counts('c', 0, 3000, (proxy) => proxy !== 'b@2')).to.have.length(1);
  });

  it('forgets what is older than its horizon, clusters no longer served, and in-flight of a proxy that left', () => {
    const w = new TrafficWindow(10_000);
    w.record('a@1', load('c', 10, 0, 4), 1000);
    w.record('a@1', load('gone', 10), 1000);
    w.record('a@1', load('c', 10, 0, 4), 9000);
    w.prune(12_000, (cluster) => cluster !== 'gone');
    expect(w.size()).to.equal(1);
    w.gone('a@1');
    expect(w.counts('c', 0, 20_000)).to.deep.equal([{ proxy: 'a@1', requests: 10, failed: 0, inFlight: 0 }]);
    w.prune(30_000);
    expect(w.size()).to.equal(0);
    expect(w.counts('c', 0, 40_000)).to.deep.equal([]);
  });
});
