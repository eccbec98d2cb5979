// A replica's fleet report on the fake API server: written when it changes, renewed when due, and at
// rest (the same report, not due) neither serialized nor sent; the other replicas' live reports are
// watched, and one whose replica stopped renewing it is not counted.

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { FleetReports } from '../../src/kube/fleet-reports.js';
import { fleetReport, type FleetReport } from '../../src/fleet/report.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from '../../src/local/wait.js';
import { FakeApiServer } from '../support/fake-apiserver.js';

describe('kube/fleet-reports', () => {
  let api: FakeApiServer;
  let dir: string;
  let client: KubeClient;
  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-fleet-reports-'));
    const config = new KubeConfig();
    config.loadFromFile(api.writeKubeconfig(dir));
    client = new KubeClient(config);
  });
  afterEach(async () => {
    client.close();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const writes = () => api.requests.filter((r) => /^(POST|PUT) \/apis\/coordination\.k8s\.io\/v1\/namespaces\/splitplane\/leases/.test(r)).length;

  it('writes a changed report, renews an unchanged one when due, and sends nothing at rest', async () => {
    let now = 1_000_000;
    // Counts its serializations: a report at rest must not even be serialized to be compared.
    let serialized = 0;
    const counted = (r: FleetReport): FleetReport => ({ ...r, toJSON: () => (serialized++, r) }) as FleetReport;
    let report: FleetReport = counted(fleetReport('a', [], []));
    let made = 0;
    const reports = new FleetReports(
      client,
      { namespace: 'splitplane', identity: 'a', renewMs: 10_000, now: () => now },
      () => {
        made++;
        return report;
      },
      silentLogger,
    );
    await reports.publish();
    expect(writes(), 'the first report').to.equal(1);
    const requests = api.requests.length;
    for (let i = 0; i < 5; i++) {
      now += 1000;
      await reports.publish();
    }
    expect(api.requests.length, 'at rest: no request').to.equal(requests);
    expect(made).to.equal(6);
    expect(serialized, 'serialized once, for the first write').to.equal(1);
    // A new object with the same content: serialized and compared, not written.
    report = counted(fleetReport('a', [], []));
    await reports.publish();
    expect(serialized).to.equal(2);
    expect(writes()).to.equal(1);
    // Due for renewal.
    now += 10_000;
    await reports.publish();
    expect(writes(), 'renewed').to.equal(2);
    // Changed.
    report = { ...fleetReport('a', [], []), proxies: { ...report.proxies, total: 3 } };
    now += 1000;
    await reports.publish();
    expect(writes(), 'changed').to.equal(3);
    const lease = api.list('Lease').find((l) => l.metadata.labels?.['app.kubernetes.io/component'] === 'fleet-report');
    expect(JSON.parse(lease?.metadata.annotations?.['splitplane.io/fleet-report'] as string).proxies.total).to.equal(3);
  });

  it("watches the other replicas' reports: not its own, a changed one at once, and not one left to expire", async () => {
    let now = Date.now();
    const make = (identity: string, report: () => FleetReport = () => fleetReport(identity, [], [])) =>
      new FleetReports(client, { namespace: 'splitplane', identity, writeMs: 3_600_000, renewMs: 1000, now: () => now }, report, silentLogger);
    let bTotal = 0;
    const a = make('a');
    const b = make('b', () => ({ ...fleetReport('b', [], []), proxies: { ...fleetReport('b', [], []).proxies, total: bTotal } }));
    const c = make('c');
    await b.publish();
    await c.publish();
    a.start();
    try {
      await a.publish();
      await waitFor(
        "the others' reports",
        () =>
          a
            .remotes()
            .map((r) => r.replica)
            .join() === 'b,c',
        10_000,
      );
      bTotal = 5;
      await b.publish();
      await waitFor("b's new report, from the watch", () => a.remotes()[0]?.proxies.total === 5, 10_000);
      // c stops renewing; b goes on. Past c's lease (three renewals), a no longer counts it.
      now += 2500;
      await b.publish();
      now += 1000;
      await waitFor(
        'b renewed',
        () =>
          a
            .remotes()
            .map((r) => r.replica)
            .join() === 'b',
        10_000,
      );
      const reads = api.requests.filter((r) => r.startsWith('GET /apis/coordination.k8s.io/v1/namespaces/splitplane/leases?')).length;
      expect(reads, 'a list, then a watch: no polling').to.be.at.most(2);
    } finally {
      await a.stop();
    }
  });
});
