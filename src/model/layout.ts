// The layout of the groups: the main Ingresses' paths by age (the older keeps a contested path, as in
// ingress-nginx), canary Ingresses attached to the main group of their host and path, and the default
// backend. Drafts carry where each version came from, for diagnostics; resolve() turns them into the
// routing model (resolve.ts).

import { CANARY_WEIGHT } from './annotations.js';
import type { ClusterState } from './backends.js';
import type { CanaryRule } from './dialects/canary.js';
import { guard } from './guard.js';
import { groupLabel } from './ingress.js';
import type { IngressPlan, PlannedGroup } from './plan.js';
import { resolveGroup } from './resolve.js';
import type { ClusterModel, PathType, RoutingModel, Sticky, VirtualHostModel } from './types.js';
import { DiagnosticSink, annotationField, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { byKey, byName } from '../order.js';
import { oneLabelAuthorityRegex } from './wildcard.js';

/** A backend of a group while the groups are laid out, with the object and field it came from. */
export interface DraftBackend {
  service: string;
  port: number | string;
  namespace: string;
  field: string;
  sink: DiagnosticSink;
  canaryOf?: ObjectRef;
}

export interface DraftCanary {
  ref: ObjectRef;
  /** Position of the canary Ingress by age: backends are listed in this order, whatever the attach order. */
  rank: number;
  backend: number;
  /** canary-weight / canary-weight-total, when canary-weight is set. */
  share?: number;
  headerRules: CanaryRule[];
  cookieRules: CanaryRule[];
}

export interface DraftGroup {
  source: ObjectRef;
  host: string;
  path: string;
  pathType: PathType;
  order: number;
  field: string;
  sink: DiagnosticSink;
  backends: DraftBackend[];
  /** The main Ingress's own backends come first; canaries follow. */
  mainCount: number;
  mainDeclared: number[];
  weightedBy?: string;
  mainRules: PlannedGroup['rules'];
  canaries: DraftCanary[];
  sticky?: Sticky;
  /** The planned group it was drafted from: the same object while its Ingress is unchanged. */
  planned: PlannedGroup;
}

export class Layout {
  private readonly groups: DraftGroup[] = [];
  private readonly claimed = new Map<string, ObjectRef>();
  /** Main groups by host and path (any path type): where a canary with that host and path attaches. */
  private readonly byHostPath = new Map<string, DraftGroup[]>();
  private defaultBackend?: DraftGroup;

  addMain(plan: IngressPlan, sink: DiagnosticSink): void {
    for (const group of plan.groups) {
      const claim = `${group.host}\u0000${group.path}\u0000${group.pathType}`;
      const owner = this.claimed.get(claim);
      if (owner) {
        sink.warning(group.field, `${groupLabel(group)} is already served by Ingress ${owner.namespace}/${owner.name}, which is older; this path is ignored`);
        continue;
      }
      this.claimed.set(claim, plan.ref);
      const draft = this.draft(plan, group, sink);
      this.groups.push(draft);
      const key = `${group.host}\u0000${group.path}`;
      this.byHostPath.set(key, [...(this.byHostPath.get(key) ?? []), draft]);
    }
    if (plan.defaultBackend) {
      if (this.defaultBackend) {
        const owner = this.defaultBackend.source;
        sink.warning(
          'spec.defaultBackend',
          `the default backend is already set by Ingress ${owner.namespace}/${owner.name}, which is older; this one is ignored`,
        );
      } else {
        this.defaultBackend = this.draft(plan, plan.defaultBackend, sink);
        delete this.defaultBackend.sticky;
      }
    }
  }

  private draft(plan: IngressPlan, group: PlannedGroup, sink: DiagnosticSink): DraftGroup {
    const draft: DraftGroup = {
      source: plan.ref,
      host: group.host === '' ? '*' : group.host,
      path: group.path,
      pathType: group.pathType,
      order: group.order,
      field: group.field,
      sink,
      backends: group.backends.map((v) => ({ service: v.service, port: v.port, namespace: plan.namespace, field: v.field, sink })),
      mainCount: group.backends.length,
      mainDeclared: group.declared,
      mainRules: group.rules,
      canaries: [],
      planned: group,
    };
    if (group.weightedBy) draft.weightedBy = group.weightedBy;
    if (plan.sticky) draft.sticky = plan.sticky;
    return draft;
  }

  /**
   * Adds a canary's backends to the main groups with the same host and path. Checks everything first
   * and changes nothing when any check fails, so a rejected canary leaves no trace: the errors are
   * returned for the caller to report. `report` receives the warnings and readiness of an attached one.
   */
  attachCanary(plan: IngressPlan, rank: number, report: DiagnosticSink): Diagnostic[] {
    const sink = new DiagnosticSink(plan.ref);
    const canary = plan.canary!;
    const share = canary.weight === undefined ? undefined : canary.weight / canary.total;
    const targets: Array<{ group: PlannedGroup; mains: DraftGroup[] }> = [];
    const warnings: Array<[string, string]> = [];
    for (const group of plan.groups) {
      const mains = this.byHostPath.get(`${group.host}\u0000${group.path}`) ?? [];
      if (mains.length === 0) {
        warnings.push([group.field, `no main (non-canary) Ingress serves ${groupLabel(group)}, so this canary path has nothing to join and is ignored`]);
        continue;
      }
      for (const main of mains) {
        const service = group.backends[0]!.service;
        const label = groupLabel(main);
        if (main.backends.some((v) => v.service === service && v.namespace === plan.namespace)) {
          sink.error(`${group.field}.backend.service.name`, `service ${service} is already a backend of ${label}; a canary must add a different Service`);
        }
        if (share !== undefined && main.weightedBy) {
          sink.error(
            annotationField(CANARY_WEIGHT),
            `${label} already has weights from ${main.weightedBy} on Ingress ${main.source.namespace}/${main.source.name}; use one weight dialect per path`,
          );
        }
        const taken = main.canaries.reduce((sum, c) => sum + (c.share ?? 0), 0);
        if (share !== undefined && taken + share > 1 + 1e-12) {
          const others = main.canaries
            .filter((c) => c.share)
            .map((c) => `${c.ref.namespace}/${c.ref.name} ${(c.share! * 100).toFixed(2).replace(/\.?0+$/, '')}%`);
          sink.error(
            annotationField(CANARY_WEIGHT),
            `canaries of ${label} would take more than the whole: this one asks for ${(share * 100).toFixed(2).replace(/\.?0+$/, '')}% and older canaries already take ${others.join(', ')}`,
          );
        }
      }
      targets.push({ group, mains });
    }
    if (sink.hasErrors()) return sink.items;
    for (const [field, message] of warnings) report.warning(field, message);
    for (const { group, mains } of targets) {
      for (const main of mains) {
        const v = group.backends[0]!;
        main.backends.push({ service: v.service, port: v.port, namespace: plan.namespace, field: v.field, sink: report, canaryOf: plan.ref });
        const entry: DraftCanary = { ref: plan.ref, rank, backend: main.backends.length - 1, headerRules: canary.headerRules, cookieRules: canary.cookieRules };
        if (share !== undefined) entry.share = share;
        main.canaries.push(entry);
      }
    }
    return [];
  }

  resolve(state: ClusterState): RoutingModel {
    for (const draft of this.groups) orderCanaries(draft);
    const clusters = new Map<string, ClusterModel>();
    const hosts = new Map<string, VirtualHostModel>();
    for (const draft of this.groups) {
      const group = guard(draft.sink, `given the routes of ${groupLabel(draft)}`, () => resolveGroup(draft, state, clusters));
      if (!group) continue;
      const vhost = hosts.get(draft.host) ?? virtualHostModel(draft.host);
      vhost.groups.push(group);
      hosts.set(draft.host, vhost);
    }
    const defaultDraft = this.defaultBackend;
    const defaultBackend = defaultDraft ? guard(defaultDraft.sink, 'given its default backend', () => resolveGroup(defaultDraft, state, clusters)) : undefined;
    if (defaultBackend && !hosts.has('*')) hosts.set('*', virtualHostModel('*'));
    const virtualHosts = [...hosts.values()].sort(byKey((v) => v.host));
    if (defaultBackend) for (const vhost of virtualHosts) vhost.defaultBackend = defaultBackend;
    return { virtualHosts, clusters: [...clusters.values()].sort(byName), tlsHosts: [], secrets: [] };
  }
}

// Canaries attach in the order that protects what is served (unchanged ones first) but are listed by
// age, so the same Ingresses always give the same bytes.
function orderCanaries(draft: DraftGroup): void {
  const sorted = [...draft.canaries].sort((a, b) => a.rank - b.rank);
  const backends = draft.backends.slice(0, draft.mainCount);
  draft.canaries = sorted.map((c): DraftCanary => {
    backends.push(draft.backends[c.backend]!);
    return { ...c, backend: backends.length - 1 };
  });
  draft.backends = backends;
}

function virtualHostModel(host: string): VirtualHostModel {
  const authorityRegex = oneLabelAuthorityRegex(host);
  return authorityRegex === undefined ? { host, groups: [] } : { host, authorityRegex, groups: [] };
}
