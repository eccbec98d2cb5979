// buildModel: the store's objects → the routing model and every diagnostic. Pure: the previous
// accepted Ingresses come in and the new ones go out, so "an error keeps the last accepted form"
// needs no hidden state.
//
// Three steps: plan each Ingress alone (plan.ts); lay the main Ingresses' paths out by age, older
// first, and attach canary Ingresses to them (attachCanary); then resolve Services and endpoints and
// turn declared weights into what Envoy gets (resolveGroup).

import { DiagnosticSink, annotationField, sortDiagnostics, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { CANARY_WEIGHT } from './annotations.js';
import { indexClusterState, resolveBackend, type ClusterState } from './backends.js';
import type { CanaryRule } from './dialects/canary.js';
import { groupLabel } from './ingress.js';
import { isOurs } from '../objects/ingress-class.js';
import { KEEPS_SERVING, NEVER_ACCEPTED, admissible, admitAll, type AcceptedObjects, type RejectedObjects } from './admission.js';
import { namespaceOf, objectKey, type EndpointSlice, type Ingress, type IngressClass, type KubeObject, type Secret, type Service } from '../objects/kube.js';
import { refOfObject } from './validation/validate.js';
import { markHttpsRedirects } from './ssl-redirect.js';
import { tlsHosts } from './tls.js';
import { planIngressOnce, refOf, type IngressPlan, type PlannedGroup } from './plan.js';
import { TOTAL_BASIS_POINTS, type EndpointAddress, type SecretModel, type TlsHostModel, type ClusterModel, type PathType, type RouteRule, type RoutingModel, type SplitGroup, type Sticky, type Version, type VirtualHostModel } from './types.js';
import { applyReadiness, normaliseRelative } from './weights.js';

export interface ModelInput {
  ingresses: readonly Ingress[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  ingressClasses: readonly IngressClass[];
  /** TLS Secrets named by spec.tls; optional so callers without HTTPS need not pass them. */
  secrets?: readonly Secret[];
  /** Our class (`--ingress-class`). */
  ingressClass: string;
  /** Forms of objects Envoy refused: treated as invalid, so their last accepted form serves. */
  rejected?: RejectedObjects;
}

export interface BuildResult {
  model: RoutingModel;
  diagnostics: Diagnostic[];
  /** The form of every object used: the previous accepted forms for the next build. */
  accepted: Map<string, KubeObject>;
}

/** A backend of a group while the groups are laid out, with the object and field it came from. */
interface DraftVersion {
  service: string;
  port: number | string;
  namespace: string;
  field: string;
  sink: DiagnosticSink;
  canaryOf?: ObjectRef;
}

interface DraftCanary {
  ref: ObjectRef;
  /** Position of the canary Ingress by age: versions are listed in this order, whatever the attach order. */
  rank: number;
  version: number;
  /** canary-weight / canary-weight-total, when canary-weight is set. */
  share?: number;
  headerRules: CanaryRule[];
  cookieRules: CanaryRule[];
}

interface DraftGroup {
  source: ObjectRef;
  host: string;
  path: string;
  pathType: PathType;
  order: number;
  field: string;
  sink: DiagnosticSink;
  versions: DraftVersion[];
  /** The main Ingress's own versions come first; canaries follow. */
  mainCount: number;
  mainDeclared: number[];
  weightedBy?: string;
  mainRules: PlannedGroup['rules'];
  canaries: DraftCanary[];
  sticky?: Sticky;
}

export function buildModel(input: ModelInput, previous: AcceptedObjects = new Map()): BuildResult {
  const diagnostics: Diagnostic[] = [];
  const accepted = new Map<string, KubeObject>();
  const rejected = input.rejected ?? new Map();
  // Everything but Ingresses is used in its current form when valid, else in its last valid form.
  const ingressClasses = admitAll(input.ingressClasses, previous, rejected, accepted, diagnostics);
  const services = admitAll(input.services, previous, rejected, accepted, diagnostics);
  const endpointSlices = admitAll(input.endpointSlices, previous, rejected, accepted, diagnostics);
  const secrets = admitAll(input.secrets ?? [], previous, rejected, accepted, diagnostics);
  // Another controller's Ingresses are ignored quietly, whatever their shape.
  const ours = input.ingresses.filter((i) => isOurs(i, { ingressClass: input.ingressClass, ingressClasses }));
  const sinks = new Map<string, DiagnosticSink>();
  // `fallback`: the last accepted form, for when the current one cannot be attached; `rejected`: the
  // current form failed on its own and `plan` already is the last accepted form.
  const plans: Array<{ plan: IngressPlan; fallback?: IngressPlan; rejected?: boolean }> = [];

  for (const raw of ours) {
    const key = objectKey(raw);
    const sink = new DiagnosticSink(refOfObject(raw));
    sinks.set(key, sink);
    const ingress = admissible(raw, rejected, sink);
    const plan = ingress ? planSafely(ingress, sink) : null;
    const previousForm = previous.get(key) as Ingress | undefined;
    const last = previousForm && !rejected.has(previousForm) ? previousForm : undefined;
    // The last accepted form validated before; planning depends on the Ingress alone, so it still does.
    // It is planned only when it may be needed: this form failed, or it is a canary that may not fit.
    const needsFallback = last !== undefined && last !== ingress && (!plan || plan.canary !== undefined);
    const fallback = needsFallback ? (planSafely(last, new DiagnosticSink(refOf(last))) ?? undefined) : undefined;
    if (plan) {
      plans.push({ plan, fallback });
    } else if (fallback) {
      plans.push({ plan: fallback, rejected: true });
      sink.warning('metadata', KEEPS_SERVING);
    } else {
      sink.warning('metadata', `this Ingress ${NEVER_ACCEPTED}: it serves nothing`);
    }
  }
  plans.sort((a, b) => byAge(a.plan, b.plan));

  const layout = new Layout();
  for (const { plan } of plans) {
    if (plan.canary) continue;
    const sink = sinks.get(objectKey(plan.ingress))!;
    if (guard(sink, 'laid out', () => (layout.addMain(plan, sink), true))) accepted.set(objectKey(plan.ingress), plan.ingress);
  }
  // Canaries already serving in their current form attach first, whatever their age: when a changed
  // canary and an unchanged one no longer fit together, the change is what gets rejected, so what
  // Envoy serves is never lost to someone else's edit.
  const unchangedFirst = (p: IngressPlan) => (previous.get(objectKey(p.ingress)) === p.ingress ? 0 : 1);
  const canaries = plans.filter((p) => p.plan.canary).sort((a, b) => unchangedFirst(a.plan) - unchangedFirst(b.plan));
  const rank = new Map(plans.map((p, i) => [objectKey(p.plan.ingress), i]));
  for (const { plan, fallback, rejected: lastForm } of canaries) {
    const key = objectKey(plan.ingress);
    const sink = sinks.get(key)!;
    const errors = guard(sink, 'attached to its main Ingress', () => layout.attachCanary(plan, rank.get(key)!, sink));
    if (errors === undefined) continue;
    if (errors.length === 0) {
      accepted.set(key, plan.ingress);
      continue;
    }
    if (lastForm) {
      sink.warning('metadata', 'the last accepted version of this canary no longer fits next to the other canaries of its path either, so it serves nothing');
      continue;
    }
    sink.items.push(...errors);
    if (fallback?.canary && layout.attachCanary(fallback, rank.get(key)!, new DiagnosticSink(plan.ref)).length === 0) {
      accepted.set(key, fallback.ingress);
      sink.warning('metadata', 'this version is rejected because of the errors above; the last accepted version of the Ingress keeps serving');
    } else {
      sink.warning('metadata', 'this Ingress is rejected because of the errors above and has never been accepted, so it serves nothing');
    }
  }

  const model = layout.resolve(indexClusterState(services, endpointSlices));
  const secretsByName = new Map(secrets.map((s) => [`${namespaceOf(s)}/${s.metadata.name}`, s]));
  const taken = new Map<string, ObjectRef>();
  const tlsSecrets = new Map<string, SecretModel>();
  const https: TlsHostModel[] = [];
  for (const { plan } of plans) {
    const key = objectKey(plan.ingress);
    if (accepted.get(key) !== plan.ingress) continue;
    if (plan.canary) {
      if ((plan.ingress.spec?.tls ?? []).length > 0) sinks.get(key)!.warning('spec.tls', 'is ignored on a canary Ingress; the main Ingress decides HTTPS for the host');
      continue;
    }
    const sink = sinks.get(key)!;
    https.push(...(guard(sink, 'given its HTTPS hosts', () => tlsHosts(plan.ingress, plan.ref, secretsByName, taken, tlsSecrets, sink)) ?? []));
  }
  model.tlsHosts = https.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  model.secrets = [...tlsSecrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const redirects = new Map(plans.filter((p) => !p.plan.canary).map((p) => [`${p.plan.ref.namespace}/${p.plan.ref.name}`, p.plan.sslRedirect]));
  markHttpsRedirects(model.virtualHosts, model.tlsHosts, (source) => redirects.get(`${source.namespace}/${source.name}`) === true);
  for (const sink of sinks.values()) diagnostics.push(...sink.items);
  return { model, diagnostics: sortDiagnostics(diagnostics), accepted };
}

class Layout {
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
        sink.warning('spec.defaultBackend', `the default backend is already set by Ingress ${owner.namespace}/${owner.name}, which is older; this one is ignored`);
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
      versions: group.versions.map((v) => ({ service: v.service, port: v.port, namespace: plan.namespace, field: v.field, sink })),
      mainCount: group.versions.length,
      mainDeclared: group.declared,
      mainRules: group.rules,
      canaries: [],
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
        const service = group.versions[0].service;
        const label = groupLabel(main);
        if (main.versions.some((v) => v.service === service && v.namespace === plan.namespace)) {
          sink.error(`${group.field}.backend.service.name`, `service ${service} is already a backend of ${label}; a canary must add a different Service`);
        }
        if (share !== undefined && main.weightedBy) {
          sink.error(annotationField(CANARY_WEIGHT), `${label} already has weights from ${main.weightedBy} on Ingress ${main.source.namespace}/${main.source.name}; use one weight dialect per path`);
        }
        const taken = main.canaries.reduce((sum, c) => sum + (c.share ?? 0), 0);
        if (share !== undefined && taken + share > 1 + 1e-12) {
          const others = main.canaries.filter((c) => c.share).map((c) => `${c.ref.namespace}/${c.ref.name} ${(c.share! * 100).toFixed(2).replace(/\.?0+$/, '')}%`);
          sink.error(annotationField(CANARY_WEIGHT), `canaries of ${label} would take more than the whole: this one asks for ${(share * 100).toFixed(2).replace(/\.?0+$/, '')}% and older canaries already take ${others.join(', ')}`);
        }
      }
      targets.push({ group, mains });
    }
    if (sink.hasErrors()) return sink.items;
    for (const [field, message] of warnings) report.warning(field, message);
    for (const { group, mains } of targets) {
      for (const main of mains) {
        const v = group.versions[0];
        main.versions.push({ service: v.service, port: v.port, namespace: plan.namespace, field: v.field, sink: report, canaryOf: plan.ref });
        const entry: DraftCanary = { ref: plan.ref, rank, version: main.versions.length - 1, headerRules: canary.headerRules, cookieRules: canary.cookieRules };
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
      const vhost = hosts.get(draft.host) ?? { host: draft.host, groups: [] };
      vhost.groups.push(group);
      hosts.set(draft.host, vhost);
    }
    const defaultDraft = this.defaultBackend;
    const defaultBackend = defaultDraft ? guard(defaultDraft.sink, 'given its default backend', () => resolveGroup(defaultDraft, state, clusters)) : undefined;
    if (defaultBackend && !hosts.has('*')) hosts.set('*', { host: '*', groups: [] });
    const virtualHosts = [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    if (defaultBackend) for (const vhost of virtualHosts) vhost.defaultBackend = defaultBackend;
    return { virtualHosts, clusters: [...clusters.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), tlsHosts: [], secrets: [] };
  }
}

// Canaries attach in the order that protects what is served (unchanged ones first) but are listed by
// age, so the same Ingresses always give the same bytes.
function orderCanaries(draft: DraftGroup): void {
  const sorted = [...draft.canaries].sort((a, b) => a.rank - b.rank);
  const versions = draft.versions.slice(0, draft.mainCount);
  draft.canaries = sorted.map((c) => {
    versions.push(draft.versions[c.version]);
    return { ...c, version: versions.length - 1 };
  });
  draft.versions = versions;
}

/** Declared basis points of every version: the main Ingress's split scaled into what the canaries leave. */
export function combineCanaryShares(mainDeclared: readonly number[], shares: ReadonlyArray<number | undefined>): number[] {
  const canaryExact = shares.map((s) => (s ?? 0) * TOTAL_BASIS_POINTS);
  const mainShare = TOTAL_BASIS_POINTS - canaryExact.reduce((a, b) => a + b, 0);
  if (canaryExact.every((x) => x === 0)) return [...mainDeclared, ...shares.map(() => 0)];
  const exact = [...mainDeclared.map((bp) => (bp * mainShare) / TOTAL_BASIS_POINTS), ...canaryExact];
  return normaliseRelative(exact);
}

function resolveGroup(draft: DraftGroup, state: ClusterState, clusters: Map<string, ClusterModel>): SplitGroup {
  const label = groupLabel(draft);
  const resolutions = draft.versions.map((v) => resolveBackend(state, v.namespace, v.service, v.port));
  resolutions.forEach((r, i) => {
    if (r.cluster !== null && r.port !== undefined && !clusters.has(r.cluster)) {
      const v = draft.versions[i];
      clusters.set(r.cluster, clusterModel(r.cluster, v.namespace, v.service, r.port, r.endpoints));
    }
  });
  const ready = resolutions.map((r) => r.ok);
  const declared = combineCanaryShares(draft.mainDeclared, draft.canaries.map((c) => c.share));
  const { basisPoints, outcome } = applyReadiness(declared, ready);
  draft.versions.forEach((v, i) => {
    const r = resolutions[i];
    if (r.ok) return;
    const consequence =
      outcome === 'none-ready'
        ? `no backend of ${label} is ready, so the declared weights stay and Envoy answers 503 until one is`
        : declared[i] > 0
          ? `its ${declared[i] / 100}% of ${label} goes to the ready backends`
          : `it takes no traffic of ${label}`;
    v.sink.warning(`${v.field}.service.name`, `${r.reason}; ${consequence}`);
  });
  if (outcome === 'ready-had-no-weight') {
    draft.sink.warning(draft.field, `every backend of ${label} with weight is not ready, so the ready backends share the traffic equally`);
  }
  const versions: Version[] = draft.versions.map((v, i) => {
    const version: Version = { service: v.service, cluster: resolutions[i].cluster, declaredBasisPoints: declared[i], basisPoints: basisPoints[i], ready: ready[i] };
    if (v.canaryOf) version.canaryOf = v.canaryOf;
    return version;
  });
  const group: SplitGroup = { source: draft.source, host: draft.host, path: draft.path, pathType: draft.pathType, versions, rules: routeRules(draft, versions), order: draft.order };
  if (draft.sticky && versions.length > 1) group.sticky = draft.sticky;
  return group;
}

// Precedence: service-match rules, then every canary's header rules, then cookie rules; the weighted
// route comes last. A rule whose target cannot take traffic is left out, so its requests fall through
// to the next rule instead of failing.
function routeRules(draft: DraftGroup, versions: readonly Version[]): RouteRule[] {
  const rules: RouteRule[] = [];
  const only = (version: number) => (versions[version].ready ? [{ version, basisPoints: TOTAL_BASIS_POINTS }] : []);
  const main = mainSplit(draft, versions);
  for (const r of draft.mainRules) {
    const backends = only(r.version);
    if (backends.length > 0) rules.push({ conditions: [r.condition], backends, reason: r.reason });
  }
  for (const kind of ['headerRules', 'cookieRules'] as const) {
    for (const canary of draft.canaries) {
      for (const r of canary[kind]) {
        const backends = r.to === 'canary' ? only(canary.version) : main;
        if (backends.length > 0) rules.push({ conditions: [r.condition], backends, reason: `${r.reason} (Ingress ${canary.ref.namespace}/${canary.ref.name})` });
      }
    }
  }
  return rules;
}

/** The main Ingress's own ready versions, weighted as it declares them: where "never" sends requests. */
function mainSplit(draft: DraftGroup, versions: readonly Version[]): RouteRule['backends'] {
  const indexes = versions.slice(0, draft.mainCount).map((_, i) => i).filter((i) => versions[i].ready);
  if (indexes.length === 0) return [];
  let weights = indexes.map((i) => draft.mainDeclared[i]);
  if (weights.every((w) => w === 0)) weights = indexes.map(() => 1);
  const bp = normaliseRelative(weights);
  return indexes.map((version, k) => ({ version, basisPoints: bp[k] })).filter((b) => b.basisPoints > 0);
}

// The same cluster with the same endpoint list (kept by identity, see readyEndpoints) is the same
// object from build to build, so translation and encoding can tell "unchanged" without looking inside.
const clusterModels = new WeakMap<EndpointAddress[], ClusterModel>();
function clusterModel(name: string, namespace: string, service: string, port: number, endpoints: EndpointAddress[]): ClusterModel {
  const known = clusterModels.get(endpoints);
  if (known && known.name === name && known.namespace === namespace && known.service === service && known.port === port) return known;
  const model: ClusterModel = { name, namespace, service, port, endpoints };
  clusterModels.set(endpoints, model);
  return model;
}

/** planIngressOnce, with an unexpected exception turned into an error on the Ingress. */
function planSafely(ingress: Ingress, sink: DiagnosticSink): IngressPlan | null {
  return guard(sink, 'planned', () => planIngressOnce(ingress, sink)) ?? null;
}

/**
 * Runs one object's step of the build. An exception is a bug of ours, but it must cost that object
 * only: it becomes an error on the object, and every other object keeps flowing.
 */
function guard<T>(sink: DiagnosticSink, step: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    sink.error('metadata', `could not be ${step} (${reason.slice(0, 200)}); this is a splitplane bug, please report it with this message`);
    return undefined;
  }
}

// Older Ingresses win conflicts, as in ingress-nginx; without timestamps (files) namespace/name decides.
function byAge(a: IngressPlan, b: IngressPlan): number {
  const ta = a.ingress.metadata.creationTimestamp ?? '';
  const tb = b.ingress.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.ref.namespace}/${a.ref.name}`;
  const kb = `${b.ref.namespace}/${b.ref.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
