import { expect } from 'chai';
import { fleetReport, type HostTraffic } from '../../src/fleet/report.js';
import { RemoteTraffic } from '../../src/traffic/remote.js';

const report = (replica: string, traffic: HostTraffic[]) => fleetReport(replica, [], [], traffic);
const entry = (proxies: HostTraffic['proxies']): HostTraffic => ({ host: 'mini-echo.io', cluster: 'default/new-nginx/80', proxies });

describe('traffic/remote', () => {
  it("turns each replica's running totals into increases, per proxy, from the second read on", () => {
    const r = new RemoteTraffic();
    r.ingest([report('b', [entry([['envoy-9@10.0.0.9', 1000, 10, 0]])])], 1000);
    expect(r.counts('mini-echo.io', 'default/new-nginx/80', 0, 5000)).to.deep.equal([]);
    r.ingest([report('b', [entry([['envoy-9@10.0.0.9', 1100, 30, 2]])])], 3000);
    r.ingest([report('b', [entry([['envoy-9@10.0.0.9', 1100, 30, 2]])])], 4000);
    expect(r.counts('mini-echo.io', 'default/new-nginx/80', 0, 5000)).to.deep.equal([{ proxy: 'b/envoy-9@10.0.0.9', requests: 100, failed: 20, inFlight: 2 }]);
    expect(r.recorded).to.equal(1);
    expect(r.counts('other.io', 'default/new-nginx/80', 0, 5000)).to.deep.equal([]);
  });

  it('a total that went down is a restarted replica: all of it is new; a replica gone has nothing in flight', () => {
    const r = new RemoteTraffic();
    r.ingest([report('b', [entry([['p', 500, 0, 0]])])], 1000);
    r.ingest([report('b', [entry([['p', 40, 4, 3]])])], 2000);
    expect(r.counts('mini-echo.io', 'default/new-nginx/80', 0, 3000)).to.deep.equal([{ proxy: 'b/p', requests: 40, failed: 4, inFlight: 3 }]);
    r.ingest([], 3000);
    expect(r.counts('mini-echo.io', 'default/new-nginx/80', 0, 3000)[0]!.inFlight).to.equal(0);
  });
});

describe('traffic/remote: request times', () => {
  it("the other replicas' histograms count as increases per proxy, as the requests do", () => {
    const r = new RemoteTraffic();
    const withLatency = (counts: number[]): HostTraffic => ({ ...entry([['p', 10, 0, 0]]), latency: [['p', [25, 250], counts]] });
    r.ingest([report('b', [withLatency([10, 0])])], 1000);
    r.ingest([report('b', [withLatency([10, 5])])], 2000);
    const [h] = r.histograms('mini-echo.io', 'default/new-nginx/80', 0, 3000);
    expect([h!.proxy, [...h!.counts], h!.total]).to.deep.equal([
      'b/p',
      [
        [25, 0],
        [250, 5],
      ],
      5,
    ]);
  });
});
