// The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core) on the admin
// page of splitplane serving a real Envoy, through the blue-green release. It checks what a person
// watching the release sees: the 50/50 bar, then 100, the proxy SYNCED, an invalid weight's
// diagnostic while the last good split stays, and a hostile annotation shown as text, never run.
// Screenshots go to test-artifacts/.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { App } from '../../src/app.js';
import { localExample, blueGreenIngress, writeIngress } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, startBackend, type Backend } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { steadyTraffic } from '../support/traffic.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const PATH_VIEW = '[data-host="mini-echo.io"] .path[data-path="/"]';

/** The weights the page draws for mini-echo.io/, from the legend (every backend, 0 % included). */
async function shownWeights(page: Page): Promise<Record<string, string>> {
  const items = await page.locator(`${PATH_VIEW} .legend li`).all();
  const out: Record<string, string> = {};
  for (const item of items) out[(await item.getAttribute('data-backend')) ?? '?'] = (await item.getAttribute('data-percent')) ?? '?';
  return out;
}

/** What the bar itself draws: each segment's backend and width in percent of the bar. */
async function barWidths(page: Page): Promise<Record<string, number>> {
  return page.locator(`${PATH_VIEW} .bar`).evaluate((bar) => {
    const total = bar.getBoundingClientRect().width;
    const out: Record<string, number> = {};
    for (const segment of Array.from(bar.querySelectorAll('.segment'))) {
      out[segment.getAttribute('data-backend') ?? '?'] = Math.round((segment.getBoundingClientRect().width / total) * 100);
    }
    return out;
  });
}

describe('admin: the dashboard in headless Chromium through the blue-green release @envoy', function () {
  this.timeout(180_000);
  let backends: Record<string, Backend>;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let browser: Browser;
  let page: Page;
  let httpPort: number;
  const pageErrors: string[] = [];

  async function release(text: string): Promise<void> {
    const before = app.cache.current();
    writeIngress(dir, text);
    await waitForRollout(app, before);
  }

  async function screenshot(name: string): Promise<void> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: run 'npm run chromium' (test/support/install-chromium.sh, which npm test runs first) or set CHROMIUM_BIN`,
      );
    }
    backends = { old: await startBackend('old'), new: await startBackend('new'), default: await startBackend('default backend', 404) };
    dir = localExample({ 'old-nginx': backends.old!.port, 'new-nginx': backends.new!.port, 'default-http-backend': backends.default!.port });
    writeIngress(dir, blueGreenIngress({ kind: 'before' }));
    httpPort = await freePort();
    app = await startSplitplane(dir, httpPort);
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), protocol: 'sotw' });
    await waitFor('Envoy to take the configuration', () => converged(app), 30_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Without the background-networking flags Chromium keeps calling hosts this machine cannot reach.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${app.adminPort}/`);
  });

  after(async () => {
    await browser?.close();
    await envoy?.stop();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('before the release: one bar, old-nginx 100 %, applied to the one Envoy, which is SYNCED', async () => {
    await page.locator(`${PATH_VIEW} .applied[data-applied="1"][data-connected="1"]`).waitFor({ timeout: 30_000 });
    expect(await shownWeights(page)).to.deep.equal({ 'old-nginx': '100' });
    expect(await page.locator('#fleet tr[data-node="test-envoy"]').getAttribute('data-state')).to.equal('SYNCED');
    expect(await page.locator('#fleet tr[data-node="test-envoy"] td').nth(1).textContent()).to.equal('envoy');
    expect(await page.locator('#status').textContent()).to.match(/^live, updated/);
  });

  it('step 1, weight 50: the bar splits 50/50 and says applied to 1 of 1 connected proxy', async () => {
    await release(blueGreenIngress({ kind: 'weight', percent: '50' }));
    await page.locator(`${PATH_VIEW} .legend li[data-backend="new-nginx"][data-percent="50"]`).waitFor({ timeout: 30_000 });
    await page.locator(`${PATH_VIEW} .applied[data-applied="1"][data-connected="1"]`).waitFor({ timeout: 30_000 });
    expect(await shownWeights(page)).to.deep.equal({ 'old-nginx': '50', 'new-nginx': '50' });
    // The bar is drawn to scale (the width moves over 0.4 s).
    await waitFor(
      'the bar to be drawn 50/50',
      async () => JSON.stringify(await barWidths(page)) === JSON.stringify({ 'old-nginx': 50, 'new-nginx': 50 }),
      10_000,
    );
    expect(await page.locator(`${PATH_VIEW} .applied`).textContent()).to.equal('applied to 1 of 1 connected proxy');
    await screenshot('dashboard-step1-50-50');
  });

  it('step 2, weight 100: the bar is all new-nginx', async () => {
    await release(blueGreenIngress({ kind: 'weight', percent: '100' }));
    await page.locator(`${PATH_VIEW} .legend li[data-backend="new-nginx"][data-percent="100"]`).waitFor({ timeout: 30_000 });
    expect(await shownWeights(page)).to.deep.equal({ 'old-nginx': '0', 'new-nginx': '100' });
    await waitFor('the bar to be drawn all new-nginx', async () => JSON.stringify(await barWidths(page)) === JSON.stringify({ 'new-nginx': 100 }), 10_000);
    await screenshot('dashboard-step2-100');
  });

  it('an invalid weight: its diagnostic is listed, naming the object and field, and the bar keeps the last good split', async () => {
    writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: 'abc' }));
    const row = page.locator('#diagnostics tr[data-severity="error"]', { hasText: 'ingress.aliyun.weight/new-nginx' });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(1).textContent()).to.equal('Ingress default/echo');
    expect(await row.locator('td').nth(3).textContent()).to.contain('"abc"');
    expect(await shownWeights(page)).to.deep.equal({ 'old-nginx': '0', 'new-nginx': '100' });
    await screenshot('dashboard-invalid-weight');
  });

  it('a hostile annotation is shown as text and never run', async () => {
    writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: `<img src=x onerror=\\"document.title='pwned'\\">` }));
    const row = page.locator('#diagnostics tr[data-severity="error"]', { hasText: '<img src=x' });
    await row.waitFor({ timeout: 30_000 });
    // The message quotes the value as JSON, so its inner quotes are escaped; the tag is there as text.
    expect(await row.locator('td.message').textContent()).to.contain('"<img src=x onerror=');
    expect(await page.locator('#diagnostics img').count()).to.equal(0);
    expect(await page.title()).to.equal('splitplane');
  });

  it('an automated rollout: each version shows its live requests/s and success next to its weight, and the rollout its step and why', async () => {
    const traffic = steadyTraffic(httpPort, 'mini-echo.io', { maxMs: 120_000, maxRequests: 10_000_000, concurrency: 2 });
    try {
      writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=25,50,100; interval=4s; min-requests=10' }));
      await page.locator(`${PATH_VIEW} .rollout[data-phase="progressing"]`).waitFor({ timeout: 30_000 });
      const live = page.locator(`${PATH_VIEW} .legend li[data-backend="new-nginx"] .live`);
      await waitFor(
        'new-nginx traffic on the page',
        async () => Number((await live.getAttribute('data-rps', { timeout: 1000 }).catch(() => '0')) ?? '0') > 0,
        30_000,
      );
      expect(await live.getAttribute('data-success')).to.equal('1');
      // The p99 is shown once the proxies' latency histograms have a sample in the window.
      expect(await live.textContent()).to.match(/^ — [\d.]+ req\/s · 100% ok · \d+ in flight( · p99 \d+ ms)?$/);
      await page.locator(`${PATH_VIEW} .rollout[data-step="2"]`).waitFor({ timeout: 30_000 });
      expect(await page.locator(`${PATH_VIEW} .rollout`).textContent()).to.match(/^progressing step 2 of 3: new-nginx at 50% — /);
      await screenshot('dashboard-rollout');
      await page
        .locator(`${PATH_VIEW} .rollout[data-phase="complete"]`)
        .waitFor({ timeout: 60_000 })
        .catch(async (error: Error) => {
          throw new Error(`${error.message}; rollouts: ${await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollouts`)).text()}`);
        });
      expect(await page.locator(`${PATH_VIEW} .rollout`).textContent()).to.match(/make it permanent in the manifest/);
    } finally {
      const { failures } = await traffic.stop();
      expect(failures).to.deep.equal([]);
    }
  });

  it('the page raised no script error and broke no Content-Security-Policy rule', () => {
    expect(pageErrors).to.deep.equal([]);
  });
});
