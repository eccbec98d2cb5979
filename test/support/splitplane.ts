// splitplane started in-process for integration tests: on a folder of manifests, or as one replica of a
// cluster deployment.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { DEFAULTS, type Config } from '../../src/config.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { PUSH_ORDER } from '../../src/proto/type-urls.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';

/**
 * One replica in Kubernetes mode, as deploy/ runs it: leader election (short Lease timings), status with a
 * TEST-NET publish address, xDS and admin on free loopback ports.
 */
export async function startKubeReplica(kubeconfig: string, extra: Partial<Config> = {}): Promise<App> {
  return startApp(
    {
      ...DEFAULTS,
      source: 'kube',
      kubeconfig,
      leaderElect: true,
      publishAddress: '192.0.2.10',
      lease: { durationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 },
      xdsHost: '127.0.0.1',
      xdsPort: await freePort(),
      adminPort: await freePort(),
      ...extra,
    },
    silentLogger,
  );
}

/**
 * splitplane on a folder of manifests. Rollout state goes to a fresh folder of its own unless `extra`
 * names one (a restart test passes the same folder twice): tests never share ~/.local/state.
 */
export async function startSplitplane(
  manifests: string,
  httpPort: number,
  httpsPort?: number,
  extra: Partial<Config> = {},
  log: Logger = silentLogger,
): Promise<App> {
  return startApp(
    {
      ...DEFAULTS,
      manifests,
      xdsHost: '127.0.0.1',
      xdsPort: await freePort(),
      adminPort: await freePort(),
      httpPort,
      httpsPort: httpsPort ?? (await freePort()),
      stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-state-')),
      ...extra,
    },
    log,
  );
}

/** True when every stream has ACKed the current version of every type it asked for. */
export function converged(app: App): boolean {
  const snapshot = app.cache.current();
  if (!snapshot) return false;
  const streams = app.ads.list();
  if (streams.length === 0) return false;
  return streams.every((s) =>
    PUSH_ORDER.every((t) => {
      const state = s.stream.types[t];
      return !state.requested || (state.ackedVersion === snapshot.version(t, s.stream.routing) && !state.awaitingReply);
    }),
  );
}

/** Waits until a snapshot other than `before` is published and every Envoy has ACKed it. */
export async function waitForRollout(app: App, before: Snapshot | undefined, timeoutMs = 30_000): Promise<void> {
  await waitFor('a new snapshot to be published', () => app.cache.current() !== before, timeoutMs);
  await waitFor('every Envoy to ACK the new snapshot', () => converged(app), timeoutMs);
}
