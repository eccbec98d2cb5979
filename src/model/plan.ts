// planIngress: one Ingress alone → its split groups with declared weights and match rules, or its
// errors. Everything that depends only on the Ingress is checked here, so "the last accepted form
// keeps serving" can re-plan an old form without looking at anything else.

import { ROLLOUT, SSL_REDIRECT, STICKY_COOKIE } from './annotations.js';
import type { RolloutSpec } from '../rollout/spec.js';
import type { CanaryConfig } from './dialects/canary.js';
import { owns, type GroupView, type GroupWeights, type IngressSettings, type WeightReading } from './dialects/dialect.js';
import { DIALECTS, checkUnknownAnnotations } from './dialects/index.js';
import { stickyDialect } from './dialects/sticky.js';
import { DiagnosticSink, annotationField, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { ok, type Result } from '../objects/result.js';
import { groupLabel, parseIngress, type ParsedGroup } from './ingress.js';
import { namespaceOf, type Ingress } from '../objects/kube.js';
import { TOTAL_BASIS_POINTS, type Sticky } from './types.js';
import { shareEqually } from './weights.js';

/** A group with its weights (basis points per backend), its match rules and the annotation that set them. */
export type PlannedGroup = ParsedGroup & GroupWeights;

export interface IngressPlan {
  ingress: Ingress;
  ref: ObjectRef;
  namespace: string;
  groups: PlannedGroup[];
  defaultBackend?: PlannedGroup;
  canary?: CanaryConfig;
  sticky?: Sticky;
  /** Plain HTTP to this Ingress's paths on a host served on HTTPS is redirected (ssl-redirect). */
  sslRedirect: boolean;
  /** `splitplane.io/rollout`: the version this Ingress grows step by step (src/rollout/). */
  rollout?: RolloutSpec;
}

export function refOf(ingress: Ingress): ObjectRef {
  return { kind: 'Ingress', namespace: namespaceOf(ingress), name: ingress.metadata.name };
}

export function planIngress(ingress: Ingress, sink: DiagnosticSink): Result<IngressPlan, Diagnostic> {
  const mark = sink.mark();
  const annotations = ingress.metadata.annotations ?? {};
  checkUnknownAnnotations(annotations, sink);
  const parsed = parseIngress(ingress, sink);
  // Every dialect reads its annotations; all their errors are reported before the Ingress is refused.
  let failed = false;
  const settings: Partial<IngressSettings> = {};
  const weighers: WeightReading[] = [];
  for (const dialect of DIALECTS) {
    const given = dialect.settings?.(annotations, sink);
    if (given?.ok === false) failed = true;
    else if (given) Object.assign(settings, given.value);
    const weights = dialect.weights?.(annotations, sink);
    if (weights?.ok === false) failed = true;
    else if (weights?.value) weighers.push(weights.value);
  }
  if (sink.hasErrors() || failed) return sink.failedSince(mark);

  const plan: IngressPlan = { ingress, ref: refOf(ingress), namespace: namespaceOf(ingress), groups: [], sslRedirect: settings.sslRedirect ?? true };
  if (settings.rollout) {
    const services = new Set([...parsed.groups, ...(parsed.defaultBackend ? [parsed.defaultBackend] : [])].flatMap((g) => g.backends.map((b) => b.service)));
    if (!services.has(settings.rollout.version)) {
      sink.error(
        annotationField(ROLLOUT),
        `${JSON.stringify(settings.rollout.version)} is not a backend of this Ingress (${[...services].join(', ') || 'none'}); name the Service that grows; the weights stay as they are`,
      );
      return sink.failedSince(mark);
    }
    plan.rollout = settings.rollout;
  }
  if (settings.canary) {
    plan.canary = settings.canary;
    return planCanary(plan, parsed.groups, annotations, sink, settings.sticky !== undefined, parsed.defaultBackend !== undefined);
  }
  if (settings.sticky) {
    plan.sticky = settings.sticky;
    sink.info(
      annotationField(STICKY_COOKIE),
      'applies to Envoy: proxyless gRPC clients (xds:///HOST) keep no cookies, so each of their RPCs is split by weight',
    );
  }

  const all = parsed.defaultBackend ? [...parsed.groups, parsed.defaultBackend] : parsed.groups;
  const views = all.map((g) => ({ label: groupLabel(g), services: g.backends.map((v) => v.service) }));
  const prepared = weighers.map((w) => w.prepare(views, sink));
  if (prepared.includes(false)) return sink.failedSince(mark);
  const planned = all.map((group, i) => planGroup(group, views[i]!, weighers, sink));
  const groups = planned.flatMap((g) => (g.ok ? [g.value] : []));
  if (groups.length < planned.length) return sink.failedSince(mark);
  plan.groups = groups.slice(0, parsed.groups.length);
  if (parsed.defaultBackend) plan.defaultBackend = groups[groups.length - 1];
  return ok(plan);
}

/**
 * One group's weights: from the one weight dialect that claims it (a second is an error: one dialect
 * per path), else shared equally.
 */
function planGroup(group: ParsedGroup, view: GroupView, weighers: readonly WeightReading[], sink: DiagnosticSink): Result<PlannedGroup, Diagnostic> {
  const claims = weighers.flatMap((weigher) => {
    const field = weigher.claim(view);
    return field === undefined ? [] : [{ weigher, field }];
  });
  const [first, second] = claims;
  if (first && second) {
    const mark = sink.mark();
    sink.error(second.field, `${view.label} already has weights from ${first.weigher.source}; use one dialect per path`);
    return sink.failedSince(mark);
  }
  if (!first) return ok({ ...group, declared: shareEqually(TOTAL_BASIS_POINTS, view.services.length), rules: [] });
  const weights = first.weigher.weigh(view, sink);
  return weights.ok ? ok({ ...group, ...weights.value }) : weights;
}

// A canary Ingress only lends its backends to the main Ingress's paths: one backend per path, and
// no weight dialect other than canary-weight.
function planCanary(
  plan: IngressPlan,
  groups: readonly ParsedGroup[],
  annotations: Readonly<Record<string, string>>,
  sink: DiagnosticSink,
  hasSticky: boolean,
  hasDefaultBackend: boolean,
): Result<IngressPlan, Diagnostic> {
  const mark = sink.mark();
  for (const key of Object.keys(annotations)) {
    if (DIALECTS.some((d) => d.weights && owns(d, key))) {
      sink.error(
        annotationField(key),
        'a canary Ingress sets its share with nginx.ingress.kubernetes.io/canary-weight; two weight dialects on one path are ambiguous',
      );
    }
  }
  for (const group of groups) {
    if (group.backends.length > 1) {
      sink.error(group.backends[1]!.field, `a canary Ingress has one backend per path; ${groupLabel(group)} lists ${group.backends.length}`);
    }
  }
  if (sink.hasErrors()) return sink.failedSince(mark);
  if (hasSticky) {
    for (const key of stickyDialect.keys) {
      if (annotations[key] !== undefined)
        sink.warning(annotationField(key), 'is ignored on a canary Ingress; set it on the main Ingress, which owns the split');
    }
  }
  if (annotations[SSL_REDIRECT] !== undefined)
    sink.warning(annotationField(SSL_REDIRECT), 'is ignored on a canary Ingress; the main Ingress of the path decides, as in ingress-nginx');
  if (hasDefaultBackend) sink.warning('spec.defaultBackend', 'is ignored on a canary Ingress, as in ingress-nginx');
  plan.groups = groups.map((g) => ({ ...g, declared: [10000], rules: [] }));
  return ok(plan);
}
