// What an Ingress reaches: the hosts its rules name, and whether it reaches beyond them (a default
// backend, TLS, a rule without host), which a partial build (model/incremental.ts) cannot take.

import type { Ingress } from '../objects/kube.js';

/** An Ingress laid out in its last accepted form when its current one is refused reaches the hosts of both. */
export function reachWith(current: Ingress, acceptedForm: Ingress | undefined): Reach {
  const now = reachOf(current);
  if (!acceptedForm || acceptedForm === current) return now;
  const then = reachOf(acceptedForm);
  return { hosts: [...now.hosts, ...then.hosts], global: now.global || then.global };
}

export interface Reach {
  hosts: string[];
  /** Reaches beyond its hosts: a default backend, TLS, a rule without host, or a shape we do not read. */
  global: boolean;
}

const reaches = new WeakMap<Ingress, Reach>();
export function reachOf(ingress: Ingress): Reach {
  let reach = reaches.get(ingress);
  if (reach) return reach;
  const spec = (ingress as { spec?: unknown }).spec as { rules?: unknown; tls?: unknown; defaultBackend?: unknown; backend?: unknown } | undefined;
  const rules = spec?.rules;
  const hosts: string[] = [];
  let global =
    !!spec?.defaultBackend || !!spec?.backend || (Array.isArray(spec?.tls) && spec.tls.length > 0) || (spec?.tls !== undefined && !Array.isArray(spec?.tls));
  if (rules !== undefined && !Array.isArray(rules)) global = true;
  for (const rule of Array.isArray(rules) ? rules : []) {
    const host = (rule as { host?: unknown } | null)?.host;
    if (typeof host === 'string' && host !== '') hosts.push(host.toLowerCase());
    else global = true;
  }
  const name = (ingress.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name.length > 253) global = true;
  reach = { hosts, global };
  reaches.set(ingress, reach);
  return reach;
}
