// Fleet truth across replicas, pure: what a replica reports, and the rollout and proxies of the whole
// fleet once the other replicas' reports are joined with its own.

import { expect } from 'chai';
import { REPORTED_PROXIES, fleetClients, fleetReport, fleetRollout, unlistedProxies, type FleetReport } from '../../src/fleet/report.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { parseReport } from '../../src/kube/fleet-reports.js';
import { proxyStatus } from '../support/fixtures.js';

const W50 = 'mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%';
const W100 = 'mini-echo.io/ (Prefix): old-nginx 0% / new-nginx 100%';

function group(weights: string, applied: number, connected: number): GroupRollout {
  return {
    ingress: 'default/echo',
    host: 'mini-echo.io',
    path: '/',
    pathType: 'Prefix',
    weights,
    backends: [],
    rules: [],
    versions: { whole: 'aaaa', perHost: null, grpc: null },
    applied,
    connected,
    text: `${weights} applied to ${applied} of ${connected} connected proxies at version aaaa (RDS)`,
  };
}

function remote(replica: string, weights: string, applied: number, connected: number): FleetReport {
  return fleetReport(
    replica,
    [group(weights, applied, connected)],
    Array.from({ length: connected }, (_, i) => proxyStatus(`${replica}-envoy-${i}`, i < applied ? 'SYNCED' : 'STALE')),
  );
}

describe('fleet/report', () => {
  const cases: Array<[string, GroupRollout, FleetReport[], string]> = [
    ['one replica: its own count, unchanged', group(W50, 1, 1), [], `${W50} applied to 1 of 1 connected proxies at version aaaa (RDS)`],
    [
      'the only Envoy on the other replica: counted here (the leader wrote "no proxy connected" before)',
      group(W50, 0, 0),
      [remote('b', W50, 1, 1)],
      `${W50} applied to 1 of 1 connected proxies, on 2 replicas at version aaaa (RDS)`,
    ],
    [
      'a replica that has not seen the edit yet: its proxies are connected, not applied',
      group(W100, 2, 2),
      [remote('b', W50, 3, 3), remote('c', W100, 4, 5)],
      `${W100} applied to 6 of 10 connected proxies, on 3 replicas at version aaaa (RDS)`,
    ],
  ];
  for (const [description, local, remotes, text] of cases) {
    it(description, () => {
      expect(fleetRollout([local], remotes)[0]!.text).to.equal(text);
    });
  }

  it('a report carries, per group, the route versions its counts were made against', () => {
    expect(remote('b', W50, 1, 1).groups[0]).to.deep.equal({
      key: 'mini-echo.io / Prefix',
      weights: W50,
      versions: { whole: 'aaaa', perHost: null, grpc: null },
      applied: 1,
      connected: 1,
    });
  });

  it('a report lists the worst proxies first, at most REPORTED_PROXIES, and counts every one by state', () => {
    const clients = [
      ...Array.from({ length: REPORTED_PROXIES + 50 }, (_, i) => proxyStatus(`ok-${i}`, 'SYNCED')),
      proxyStatus('refusing', 'NACKED'),
      proxyStatus('behind', 'STALE'),
    ];
    const report = fleetReport('a', [], clients);
    expect(report.proxies.total).to.equal(REPORTED_PROXIES + 52);
    expect(report.proxies.byState).to.deep.equal({ SYNCED: REPORTED_PROXIES + 50, STALE: 1, NACKED: 1 });
    expect(report.proxies.listed.slice(0, 2).map((c) => c.node)).to.deep.equal(['refusing', 'behind']);
    expect(report.proxies.listed).to.have.length(REPORTED_PROXIES);
    expect(unlistedProxies([report])).to.deep.equal({ SYNCED: 52, STALE: 0, NACKED: 0 });
    const joined = fleetClients([proxyStatus('local', 'SYNCED')], [report]);
    expect(joined[0]!.node).to.equal('local');
    expect(joined[1]).to.include({ node: 'refusing', replica: 'a' });
  });

  it("another replica's report is read only in the shape the pages use", () => {
    const good = JSON.stringify(remote('b', W50, 1, 1));
    expect(parseReport(good)?.replica).to.equal('b');
    expect(parseReport('not json')).to.equal(undefined);
    expect(
      parseReport(
        JSON.stringify({
          replica: 'b',
          groups: [{ key: 'k', weights: 'w', applied: -1, connected: 1 }],
          proxies: { total: 0, byState: { SYNCED: 0, STALE: 0, NACKED: 0 }, listed: [] },
        }),
      ),
    ).to.equal(undefined);
    expect(parseReport(undefined)).to.equal(undefined);
  });
});
