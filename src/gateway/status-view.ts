// The decided statuses as people read them: one entry per object, `kind namespace/name` and the status
// the leader writes (file mode shows the same in `splitplane translate` and /debug/gateway-status).

import type { StatusCondition, GatewayStatuses } from './conditions.js';

export interface StatusEntry {
  object: string;
  status: Record<string, unknown>;
}

const plain = (conditions: readonly StatusCondition[]) => conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message }));

export function statusDocument(statuses: GatewayStatuses): StatusEntry[] {
  const out: StatusEntry[] = [];
  for (const c of statuses.classes) out.push({ object: `GatewayClass ${c.ref.name}`, status: { conditions: plain(c.conditions) } });
  for (const g of statuses.gateways)
    out.push({
      object: `Gateway ${g.ref.namespace}/${g.ref.name}`,
      status: {
        addresses: g.addresses,
        conditions: plain(g.conditions),
        listeners: g.listeners.map((l) => ({
          name: l.name,
          supportedKinds: l.supportedKinds,
          attachedRoutes: l.attachedRoutes,
          conditions: plain(l.conditions),
        })),
      },
    });
  for (const r of statuses.routes)
    out.push({
      object: `${r.ref.kind} ${r.ref.namespace}/${r.ref.name}`,
      status: { parents: r.parents.map((p) => ({ parentRef: p.parentRef, controllerName: p.controllerName, conditions: plain(p.conditions) })) },
    });
  return out;
}
