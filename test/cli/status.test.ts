// `splitplane status` against an admin server: the rollout lines, the proxies, and the exit code.

import { spawnSync } from 'node:child_process';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createAdminServer } from '../../src/admin/server.js';
import { runStatus } from '../../src/cli/status.js';
import { Metrics } from '../../src/metrics.js';
import type { ClientStatus } from '../../src/xds/client-status.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { proxyStatus } from '../support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = path.join(root, 'dist', 'src', 'main.js');

describe('cli/status', () => {
  let server: http.Server;
  let admin: string;
  const rollout: GroupRollout[] = [
    {
      ingress: 'default/echo',
      host: 'mini-echo.io',
      path: '/',
      pathType: 'Prefix',
      weights: 'mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%',
      backends: [],
      rules: [],
      versions: { whole: 'a', perHost: 'b', grpc: null },
      applied: 1,
      connected: 2,
      text: 'mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50% applied to 1 of 2 connected proxies',
    },
  ];
  const proxy = (node: string, state: ClientStatus['state']) =>
    proxyStatus(
      node,
      state,
      state === 'NACKED'
        ? { CDS: { state, sent: { version: 'v2', nonce: '7' }, acked: 'v1', lastNack: { version: 'v2', message: 'bad cluster', at: 'now' } } }
        : {},
    );
  let clients: ClientStatus[] = [];

  before(async () => {
    server = createAdminServer({
      snapshot: () => undefined,
      diagnostics: () => [],
      streams: () => [],
      clients: () => clients,
      rollout: () => rollout,
      metrics: new Metrics(),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('prints each split with N of M proxies, then each proxy; exit 0 when none NACKed', async () => {
    clients = [proxy('envoy-1', 'SYNCED'), proxy('envoy-2', 'STALE')];
    let text = '';
    const code = await runStatus(
      { admin },
      (t) => (text += t),
      () => undefined,
    );
    expect(code).to.equal(0);
    expect(text).to.equal(
      'ROLLOUT\n' +
        '  mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50% applied to 1 of 2 connected proxies\n\n' +
        "TRAFFIC (last 30 s, from the proxies' load reports)\n" +
        '  no requests reported\n\n' +
        'AUTOMATED ROLLOUTS\n' +
        '  none (annotate an Ingress with splitplane.io/rollout to start one)\n\n' +
        'PROXIES\n' +
        '  envoy-1  SYNCED  envoy envoy 1.40.0  delta  since 2026-11-28T00:00:00.000Z\n' +
        '  envoy-2  STALE  envoy envoy 1.40.0  delta  since 2026-11-28T00:00:00.000Z\n',
    );
  });

  it("a NACK is shown with Envoy's words and makes the exit code 1", async () => {
    clients = [proxy('envoy-3', 'NACKED')];
    let text = '';
    expect(
      await runStatus(
        { admin },
        (t) => (text += t),
        () => undefined,
      ),
    ).to.equal(1);
    expect(text).to.contain('envoy-3  NACKED').and.contain('CDS refused: bad cluster');
  });

  it('the real CLI: --help on stdout, an unreachable admin API is a clear error with exit 1', () => {
    const help = spawnSync(process.execPath, [main, 'status', '--help'], { encoding: 'utf8' });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: splitplane status/);
    const down = spawnSync(process.execPath, [main, 'status', '--admin', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
    expect(down.status).to.equal(1);
    expect(down.stderr).to.match(/^cannot read the admin API at http:\/\/127\.0\.0\.1:1/);
  });
});
