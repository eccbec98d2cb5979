// `splitplane rollout pause|resume|abort|promote NAMESPACE/NAME`: a person steering an automated rollout.
// File mode: through the admin API on loopback (POST /rollouts/NS/NAME/ACTION). Kubernetes mode
// (--kube, or --kubeconfig FILE): through the API server, as the leader sees it: the command goes on
// the rollout ConfigMap, the leader carries it out at its next look and takes it away; the CLI waits
// for that and prints the rollout's state as stored.

import { KubeConfig } from '@kubernetes/client-node';
import { eachFlag } from '../flags.js';
import { KubeClient } from '../kube/client.js';
import { readRollouts, writeCommand } from '../kube/rollout-states.js';
import { leaseNamespace } from '../kube/writers.js';
import type { RolloutStatus } from '../rollout/driver.js';
import type { Command } from '../rollout/machine.js';
import { sleep } from '../local/wait.js';

export const ROLLOUT_USAGE = `usage: splitplane rollout pause|resume|abort|promote NAMESPACE/NAME [--admin URL | --kube [--kubeconfig FILE]]
Steers the automated rollout (splitplane.io/rollout) of an Ingress:
  pause     hold the current step (its weights keep serving)
  resume    go on from the step it was paused at; after an abort, start again from the first step
  abort     all traffic back on the stable version now
  promote   jump to the last step and complete
  --admin URL         the admin endpoint of splitplane in file mode (default http://127.0.0.1:19000)
  --kube              through the Kubernetes API server: the leader carries it out (needs create,
                      get and patch on ConfigMaps in splitplane's namespace)
  --kubeconfig FILE   kubeconfig for --kube (default as kubectl: $KUBECONFIG, then ~/.kube/config)
  --namespace NS      splitplane's namespace for --kube (default: POD_NAMESPACE, the context's, else splitplane)
  --ingress-class C   splitplane's --ingress-class (default splitplane)
  -h, --help          this text`;

export class RolloutUsageError extends Error {}

export interface RolloutOptions {
  command: Command;
  ingress: string;
  admin: string;
  kube: boolean;
  kubeconfig?: string;
  namespace?: string;
  ingressClass: string;
}

const COMMANDS: readonly Command[] = ['pause', 'resume', 'abort', 'promote'];

export function parseRolloutArgs(argv: readonly string[]): RolloutOptions {
  const positional: string[] = [];
  const options: Omit<RolloutOptions, 'command' | 'ingress'> = { admin: 'http://127.0.0.1:19000', kube: false, ingressClass: 'splitplane' };
  eachFlag(
    argv,
    (flag) => new RolloutUsageError(`${flag} needs a value\n${ROLLOUT_USAGE}`),
    (flag, value, arg) => {
      if (!arg.startsWith('-')) positional.push(arg);
      else if (flag === '-h' || flag === '--help') throw new RolloutUsageError(ROLLOUT_USAGE);
      else if (flag === '--admin') options.admin = value().replace(/\/+$/, '');
      else if (flag === '--kube') options.kube = true;
      else if (flag === '--kubeconfig') {
        options.kubeconfig = value();
        options.kube = true;
      } else if (flag === '--namespace') options.namespace = value();
      else if (flag === '--ingress-class') options.ingressClass = value();
      else throw new RolloutUsageError(`unknown argument ${arg}\n${ROLLOUT_USAGE}`);
    },
  );
  const [command, ingress, extra] = positional;
  if (!command || !COMMANDS.includes(command as Command) || !ingress || extra !== undefined)
    throw new RolloutUsageError(`give an action (${COMMANDS.join(', ')}) and one Ingress\n${ROLLOUT_USAGE}`);
  const named = ingress.includes('/') ? ingress : `default/${ingress}`;
  if (!/^[a-z0-9.-]{1,253}\/[a-z0-9.-]{1,253}$/.test(named)) throw new RolloutUsageError(`${JSON.stringify(ingress)} is not NAMESPACE/NAME of an Ingress`);
  return { ...options, command: command as Command, ingress: named };
}

/** Carries the command out; returns the exit code. */
export async function runRollout(options: RolloutOptions, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  try {
    return options.kube ? await throughApiServer(options, out, err) : await throughAdmin(options, out, err);
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function throughAdmin(options: RolloutOptions, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const [namespace, name] = options.ingress.split('/') as [string, string];
  let res: Response;
  try {
    res = await fetch(`${options.admin}/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${options.command}`, {
      method: 'POST',
      headers: { 'x-splitplane-command': '1' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    err(
      `cannot reach the admin API at ${options.admin}: ${(error as Error).message}; is splitplane running there (--admin-port), or is it in Kubernetes (--kube)?\n`,
    );
    return 1;
  }
  const text = await res.text();
  if (res.status !== 202) {
    err(`${options.command} ${options.ingress}: ${res.status}: ${text.trim()}\n`);
    return res.status === 404 ? 3 : 1;
  }
  // The command is carried out at the next look (one report interval): show where that leaves it.
  const deadline = Date.now() + 15_000;
  let shown: RolloutStatus[] = [];
  while (Date.now() < deadline) {
    const all = (await (await fetch(`${options.admin}/debug/rollouts`, { signal: AbortSignal.timeout(10_000) })).json()) as RolloutStatus[];
    shown = all.filter((r) => r.ingress === options.ingress);
    if (shown.some((r) => settled(options.command, r.phase))) break;
    await sleep(250);
  }
  for (const r of shown) out(`${r.ingress} ${r.group}: ${r.phase.toUpperCase()} step ${r.step} of ${r.steps}: ${r.reason}\n`);
  return 0;
}

function settled(command: Command, phase: string): boolean {
  return { pause: 'paused', resume: 'progressing', abort: 'aborted', promote: 'complete' }[command] === phase;
}

async function throughApiServer(options: RolloutOptions, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  const client = new KubeClient(config);
  const namespace = options.namespace ?? leaseNamespace(config, undefined);
  const before = await readRollouts(client, namespace, options.ingressClass);
  if (!before?.states.some((s) => s.ingress === options.ingress)) {
    err(
      `Ingress ${options.ingress} has no rollout in ConfigMap ${namespace}/splitplane-rollouts-${options.ingressClass} (no splitplane.io/rollout annotation, or the leader has not started it)\n`,
    );
    return 3;
  }
  const key = await writeCommand(client, namespace, options.ingressClass, { ingress: options.ingress, command: options.command, at: new Date().toISOString() });
  out(`${options.command} ${options.ingress}: written for the leader (${key})\n`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const now = await readRollouts(client, namespace, options.ingressClass);
    const mine = now?.states.filter((s) => s.ingress === options.ingress) ?? [];
    if (!now?.pending.includes(key) && mine.some((s) => settled(options.command, s.state.phase))) {
      for (const s of mine) out(`${s.ingress} ${s.group}: ${s.state.phase.toUpperCase()} step ${s.state.step + 1}: ${s.state.reason}\n`);
      return 0;
    }
  }
  err(`the leader has not carried out ${key} within 30 s; is a splitplane replica running and leading (kubectl -n ${namespace} get lease)?\n`);
  return 1;
}
