// `splitplane rollout` in file mode: through the admin API of a running splitplane; its arguments;
// and the admin endpoint's own checks.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../../src/app.js';
import { parseRolloutArgs, runRollout } from '../../src/cli/rollout.js';
import { blueGreenIngress, localExample, writeIngress } from '../../src/local/example.js';
import { freePort } from '../../src/local/http.js';
import { startSplitplane } from '../support/splitplane.js';
import { waitFor } from '../../src/local/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = path.join(root, 'dist', 'src', 'main.js');

describe('cli/rollout', function () {
  this.timeout(60_000);
  let dir: string;
  let app: App;
  let admin: string;

  before(async () => {
    dir = localExample({ 'old-nginx': 1, 'new-nginx': 2, 'default-http-backend': 3 });
    writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=10,50,100; interval=1m' }));
    app = await startSplitplane(dir, await freePort(), undefined, { loadReportIntervalMs: 500 });
    admin = `http://127.0.0.1:${app.adminPort}`;
  });
  after(async () => {
    await app?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runRollout(
      parseRolloutArgs([...argv, '--admin', admin]),
      (t) => (out += t),
      (t) => (err += t),
    );
    return { code, out, err };
  };

  it('arguments: an action and NAMESPACE/NAME (default namespace when bare); anything else is a usage error', () => {
    expect(parseRolloutArgs(['pause', 'shop/echo'])).to.deep.include({ command: 'pause', ingress: 'shop/echo', kube: false });
    expect(parseRolloutArgs(['abort', 'echo', '--kubeconfig', '/k'])).to.deep.include({
      command: 'abort',
      ingress: 'default/echo',
      kube: true,
      kubeconfig: '/k',
    });
    for (const bad of [[], ['pause'], ['stop', 'echo'], ['pause', 'a/b/c'], ['pause', 'echo', 'more'], ['pause', 'echo', '--speed']])
      expect(() => parseRolloutArgs(bad), JSON.stringify(bad)).to.throw(/usage: splitplane rollout|not NAMESPACE\/NAME/);
  });

  it('pause, resume, promote: each carried out by the running splitplane, and the state printed', async () => {
    const paused = await run('pause', 'default/echo');
    expect(paused.code, paused.err).to.equal(0);
    expect(paused.out).to.match(/^default\/echo mini-echo.io \/ ImplementationSpecific: PAUSED step 1 of 3: paused by splitplane rollout pause at 10%/);
    const resumed = await run('resume', 'default/echo');
    expect(resumed.out).to.match(/PROGRESSING step 1 of 3/);
    const promoted = await run('promote', 'echo');
    expect(promoted.out).to.match(/COMPLETE step 3 of 3: promoted by splitplane rollout promote to 100%/);
    // The promotion is built right after the command is carried out (the rebuild is debounced).
    const served = () =>
      JSON.stringify(
        app.controller
          .currentModel()!
          .virtualHosts.find((v) => v.host === 'mini-echo.io')!
          .groups[0]!.backends.map((b) => [b.service, b.basisPoints]),
      );
    await waitFor(
      'the promotion to be served',
      () =>
        served() ===
        JSON.stringify([
          ['old-nginx', 0],
          ['new-nginx', 10000],
        ]),
      10_000,
    ).catch(() => {
      throw new Error(`served ${served()}`);
    });
  });

  it('an Ingress without a rollout: exit 3 and why', async () => {
    const r = await run('pause', 'default/other');
    expect(r.code).to.equal(3);
    expect(r.err).to.match(/404: .*Ingress default\/other has no rollout/);
  });

  it('the admin endpoint wants its header (a page elsewhere cannot steer a rollout) and a known action', async () => {
    const post = (p: string, headers: Record<string, string> = {}) => fetch(`${admin}${p}`, { method: 'POST', headers });
    expect((await post('/rollouts/default/echo/abort')).status).to.equal(403);
    expect((await post('/rollouts/default/echo/explode', { 'x-splitplane-command': '1' })).status).to.equal(400);
    expect((await post('/rollouts/default', { 'x-splitplane-command': '1' })).status).to.equal(400);
    expect((await post('/debug/rollouts', { 'x-splitplane-command': '1' })).status).to.equal(405);
  });

  it('the real CLI: --help on stdout; an unreachable admin API is a clear error with exit 1', () => {
    const help = spawnSync(process.execPath, [main, 'rollout', '--help'], { encoding: 'utf8' });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: splitplane rollout pause\|resume\|abort\|promote/);
    const down = spawnSync(process.execPath, [main, 'rollout', 'pause', 'echo', '--admin', 'http://127.0.0.1:9'], { encoding: 'utf8' });
    expect(down.status).to.equal(1);
    expect(down.stderr).to.match(/cannot reach the admin API at http:\/\/127.0.0.1:9/);
  });
});
