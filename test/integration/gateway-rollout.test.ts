// An automated rollout on an HTTPRoute through a real Envoy: the `splitplane.io/rollout` annotation on
// the route walks its new backendRef 25 → 50 → 100 % by itself, judged from what Envoy reports for the
// Gateway port's routes, with no failed request.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { App } from '../../src/app.js';
import { localExample } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, get, startBackend, type Backend } from '../../src/local/http.js';
import { sleep, waitFor } from '../../src/local/wait.js';
import { converged, startSplitplane } from '../support/splitplane.js';
import type { RolloutStatus } from '../../src/rollout/driver.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';

const HOST = 'mini-echo.io';

describe('integration: an automated rollout on an HTTPRoute through a real Envoy @envoy', function () {
  this.timeout(180_000);
  let backends: Record<string, Backend>;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let port: number;

  before(async () => {
    backends = { old: await startBackend('old'), new: await startBackend('new'), default: await startBackend('default backend', 404) };
    dir = localExample({ 'old-nginx': backends.old!.port, 'new-nginx': backends.new!.port, 'default-http-backend': backends.default!.port });
    fs.rmSync(path.join(dir, 'ingress.yaml'));
    port = await freePort();
    const route = httpRoute('echo', {
      parentRefs: [{ name: 'web' }],
      hostnames: [HOST],
      rules: [
        {
          backendRefs: [
            { name: 'old-nginx', port: 80 },
            { name: 'new-nginx', port: 80, weight: 0 },
          ],
        },
      ],
    });
    route.metadata.annotations = { 'splitplane.io/rollout': 'new-nginx; steps=25,50,100; interval=3s; min-success=99%; min-requests=10' };
    fs.writeFileSync(path.join(dir, 'gateway.yaml'), [gatewayClass(), gateway([listener('http', port)]), route].map((o) => dump(o)).join('---\n'));
    app = await startSplitplane(dir, await freePort(), undefined, { loadReportIntervalMs: 1000 });
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort() });
    await waitFor('Envoy to serve the Gateway', () => converged(app), 30_000);
  });

  after(async () => {
    await envoy?.stop();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('walks 25 → 50 → 100 % by itself with no failed request, and says so on the route', async () => {
    let stopped = false;
    const answers = new Map<string, number>();
    const worker = async () => {
      for (const started = Date.now(); !stopped && Date.now() - started < 120_000;) {
        const r = await get(port, HOST).catch((error: Error) => ({ status: 0, body: error.message }));
        const key = `${r.status} ${r.body.trim()}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));
    const phases = new Set<string>();
    let status: RolloutStatus | undefined;
    await waitFor(
      'the rollout to complete',
      async () => {
        status = ((await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollouts`)).json()) as RolloutStatus[])[0];
        if (status) phases.add(`${status.phase} ${status.basisPoints}`);
        return status?.phase === 'complete';
      },
      120_000,
      200,
    );
    await waitFor('Envoy to run 100 %', () => converged(app), 30_000);
    await sleep(500);
    stopped = true;
    await load;
    expect(
      [...answers.keys()].filter((k) => !k.startsWith('200 ')),
      JSON.stringify(Object.fromEntries(answers)),
    ).to.deep.equal([]);
    expect(status!.ingress).to.equal('HTTPRoute/default/echo');
    expect([...phases]).to.include.members(['progressing 2500', 'progressing 5000']);
    const rule = app.controller.currentModel()!.gatewayPorts![0]!.virtualHosts[0]!.gatewayRoutes![0]!.rule;
    expect(rule.backends.map((b) => [b.service, b.basisPoints])).to.deep.equal([
      ['old-nginx', 0],
      ['new-nginx', 10000],
    ]);
    const diagnostic = app.controller.diagnostics().find((d) => d.object.kind === 'HTTPRoute' && d.field === 'metadata.annotations["splitplane.io/rollout"]');
    expect(diagnostic?.message).to.match(/complete at 100%/);
  });
});
