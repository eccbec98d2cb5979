// `splitplane status`: the rollout and the fleet, from a running control plane's admin API. What the
// operator would otherwise piece together from each Envoy's admin page: which proxy runs which weights, from their own ACKs.

import { eachFlag } from '../flags.js';
import type { ClientStatus } from '../xds/client-status.js';
import type { GroupRollout } from '../fleet/rollout.js';
import type { RolloutStatus } from '../rollout/driver.js';
import { trafficText, type GroupTraffic } from '../traffic/figures.js';

export const STATUS_USAGE = `usage: splitplane status [--admin URL]
Prints, for every host and path, the weights and how many connected proxies run them, each version's
live traffic (requests/s, success rate, in flight), the automated rollouts (phase, step, why), then each
proxy's sync state (SYNCED, STALE, NACKED), read from the control plane's admin API. Exits 1 when a proxy
refused a configuration or a rollout was aborted.
  --admin URL   the admin endpoint (default http://127.0.0.1:19000)
  -h, --help    this text`;

export class StatusUsageError extends Error {}

export function parseStatusArgs(argv: readonly string[]): { admin: string } {
  let admin = 'http://127.0.0.1:19000';
  eachFlag(
    argv,
    (flag) => new StatusUsageError(`${flag} needs a value\n${STATUS_USAGE}`),
    (flag, value, arg) => {
      if (flag === '-h' || flag === '--help') throw new StatusUsageError(STATUS_USAGE);
      if (flag === '--admin') admin = value().replace(/\/+$/, '');
      else throw new StatusUsageError(`unknown argument ${arg}\n${STATUS_USAGE}`);
    },
  );
  return { admin };
}

/**
 * The report as text: one line per split group (its weights and how many proxies run them), each
 * version's live traffic, the automated rollouts, then one line per proxy.
 */
export function statusText(
  rollout: readonly GroupRollout[],
  clients: readonly ClientStatus[],
  traffic: readonly GroupTraffic[] = [],
  rollouts: readonly RolloutStatus[] = [],
): string {
  const lines = ['ROLLOUT'];
  if (rollout.length === 0) lines.push('  no split groups are served');
  for (const g of rollout) lines.push(`  ${g.text}`);
  lines.push('', "TRAFFIC (last 30 s, from the proxies' load reports)");
  const moving = traffic.filter((g) => g.versions.some((v) => v.reported > 0 || v.inFlight > 0));
  if (moving.length === 0) lines.push('  no requests reported');
  for (const g of moving) lines.push(`  ${g.host === '*' ? '' : g.host}${g.path} (${g.pathType}): ${g.versions.map(trafficText).join(' / ')}`);
  lines.push('', 'AUTOMATED ROLLOUTS');
  if (rollouts.length === 0) lines.push('  none (annotate an Ingress with splitplane.io/rollout to start one)');
  for (const r of rollouts)
    lines.push(
      `  ${r.ingress} ${r.group}: ${r.phase.toUpperCase()} step ${r.step} of ${r.steps}, ${r.version} at ${r.basisPoints === null ? 'the declared weights' : `${r.basisPoints / 100}%`}: ${r.reason}`,
    );
  lines.push('', 'PROXIES');
  if (clients.length === 0) lines.push('  none connected');
  for (const c of clients) {
    const nacked = Object.entries(c.types).filter(([, t]) => t.state === 'NACKED');
    const why = nacked.map(([type, t]) => `; ${type} refused: ${t.lastNack?.message ?? ''}`).join('');
    lines.push(`  ${c.node || '(no node id)'}  ${c.state}  ${c.kind} ${c.userAgent}  ${c.protocol}  since ${c.connectedSince}${why}`);
  }
  return lines.join('\n') + '\n';
}

/** Fetches both pages; returns the exit code (1 when the admin API cannot be read or a proxy NACKed). */
export async function runStatus(options: { admin: string }, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  try {
    const get = async <T>(page: string): Promise<T> => {
      const res = await fetch(`${options.admin}${page}`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${page} answered ${res.status}`);
      return (await res.json()) as T;
    };
    const [rollout, clients, traffic, rollouts] = await Promise.all([
      get<GroupRollout[]>('/debug/rollout'),
      get<ClientStatus[]>('/debug/clients'),
      get<GroupTraffic[]>('/debug/traffic'),
      get<RolloutStatus[]>('/debug/rollouts'),
    ]);
    out(statusText(rollout, clients, traffic, rollouts));
    return clients.some((c) => c.state === 'NACKED') || rollouts.some((r) => r.phase === 'aborted') ? 1 : 0;
  } catch (error) {
    err(
      `cannot read the admin API at ${options.admin}: ${error instanceof Error ? error.message : String(error)}; is splitplane running, and is --admin its --admin-host and --admin-port?\n`,
    );
    return 1;
  }
}
