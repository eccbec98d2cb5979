// planIngress: one Ingress alone → its split groups with declared weights and match rules, or its
// errors. Everything that depends only on the Ingress is checked here, so "the last accepted form
// keeps serving" can re-plan an old form without looking at anything else.

import { SERVICE_MATCH, SERVICE_WEIGHT, SSL_REDIRECT, STICKY_COOKIE, STICKY_MAX_AGE, checkUnknownAnnotations } from './annotations.js';
import { ackGroupWeights, parseServiceMatch, parseServiceWeight, type ServiceMatch } from './dialects/ack.js';
import { ALIYUN_WEIGHT_PREFIX, aliyunWeights } from './dialects/aliyun.js';
import { parseCanary, type CanaryConfig } from './dialects/canary.js';
import { parseSticky } from './dialects/sticky.js';
import { DiagnosticSink, annotationField, type ObjectRef } from '../objects/diagnostics.js';
import { groupLabel, parseIngress, type ParsedGroup } from './ingress.js';
import { namespaceOf, type Ingress } from '../objects/kube.js';
import { parseSslRedirect } from './ssl-redirect.js';
import type { Condition, Sticky } from './types.js';

export interface PlannedGroup extends ParsedGroup {
  /** Basis points per version, summing to 10000. */
  declared: number[];
  /** service-match rules: requests meeting `condition` go to version `version`. */
  rules: Array<{ condition: Condition; backend: number; reason: string }>;
  /** The annotation that set this group's weights, when one did (for "two dialects" errors). */
  weightedBy?: string;
}

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
}

export function refOf(ingress: Ingress): ObjectRef {
  return { kind: 'Ingress', namespace: namespaceOf(ingress), name: ingress.metadata.name };
}

export function planIngress(ingress: Ingress, sink: DiagnosticSink): IngressPlan | null {
  const annotations = ingress.metadata.annotations ?? {};
  checkUnknownAnnotations(annotations, sink);
  const parsed = parseIngress(ingress, sink);
  const canary = parseCanary(annotations, sink);
  const sticky = parseSticky(annotations, sink);
  const serviceWeight = annotations[SERVICE_WEIGHT] === undefined ? undefined : parseServiceWeight(annotations[SERVICE_WEIGHT], sink);
  const matches = annotations[SERVICE_MATCH] === undefined ? undefined : parseServiceMatch(annotations[SERVICE_MATCH], sink);
  const sslRedirect = parseSslRedirect(annotations, sink);
  if (sink.hasErrors() || canary === null || sticky === null || serviceWeight === null || matches === null || sslRedirect === null) return null;

  const plan: IngressPlan = { ingress, ref: refOf(ingress), namespace: namespaceOf(ingress), groups: [], sslRedirect };
  if (canary) {
    plan.canary = canary;
    return planCanary(plan, parsed.groups, annotations, sink, sticky !== undefined, parsed.defaultBackend !== undefined);
  }
  if (sticky) plan.sticky = sticky;

  const all = parsed.defaultBackend ? [...parsed.groups, parsed.defaultBackend] : parsed.groups;
  const services = new Set(all.flatMap((g) => g.backends.map((v) => v.service)));
  for (const name of serviceWeight?.keys() ?? []) {
    if (!services.has(name))
      sink.warning(annotationField(SERVICE_WEIGHT), `service ${JSON.stringify(name)} is not a backend of any path of this Ingress; its weight is ignored`);
  }
  for (const m of matches ?? []) {
    if (!services.has(m.service))
      sink.warning(annotationField(SERVICE_MATCH), `service ${JSON.stringify(m.service)} is not a backend of any path of this Ingress; its rule is ignored`);
  }
  const aliyun = aliyunWeights(
    annotations,
    all.map((g) => ({ label: groupLabel(g), services: g.backends.map((v) => v.service) })),
    sink,
  );
  if (!aliyun) return null;

  const aliyunNamed = new Set(
    Object.keys(annotations)
      .filter((k) => k.startsWith(ALIYUN_WEIGHT_PREFIX))
      .map((k) => k.slice(ALIYUN_WEIGHT_PREFIX.length)),
  );
  const planned = all.map((group, i) => planGroup(group, aliyun[i]!, aliyunNamed, serviceWeight, matches ?? [], sink));
  if (planned.some((g) => g === null)) return null;
  const groups = planned as PlannedGroup[];
  plan.groups = groups.slice(0, parsed.groups.length);
  if (parsed.defaultBackend) plan.defaultBackend = groups[groups.length - 1];
  return plan;
}

function planGroup(
  group: ParsedGroup,
  aliyun: number[],
  aliyunNamed: ReadonlySet<string>,
  serviceWeight: ReadonlyMap<string, number> | undefined,
  matches: readonly ServiceMatch[],
  sink: DiagnosticSink,
): PlannedGroup | null {
  const services = group.backends.map((v) => v.service);
  const label = groupLabel(group);
  const byAliyun = services.some((s) => aliyunNamed.has(s));
  const groupMatches = matches.filter((m) => services.includes(m.service));
  const byAck = groupMatches.length > 0 || services.some((s) => serviceWeight?.has(s));
  if (byAliyun && byAck) {
    const key = services.some((s) => serviceWeight?.has(s)) ? SERVICE_WEIGHT : SERVICE_MATCH;
    sink.error(annotationField(key), `${label} already has weights from ${ALIYUN_WEIGHT_PREFIX}* annotations; use one dialect per path`);
    return null;
  }
  if (!byAck) {
    const planned: PlannedGroup = { ...group, declared: aliyun, rules: [] };
    if (byAliyun) planned.weightedBy = annotationField(`${ALIYUN_WEIGHT_PREFIX}${services.find((s) => aliyunNamed.has(s))}`);
    return planned;
  }
  const matched = new Set(groupMatches.map((m) => m.service));
  const declared = ackGroupWeights(serviceWeight, matched, services, label, sink);
  if (!declared) return null;
  const rules = groupMatches.map((m) => ({ condition: m.condition, backend: services.indexOf(m.service), reason: `service-match ${m.text}` }));
  const planned: PlannedGroup = { ...group, declared, rules };
  if (services.some((s) => serviceWeight?.has(s))) planned.weightedBy = annotationField(SERVICE_WEIGHT);
  return planned;
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
): IngressPlan | null {
  for (const key of Object.keys(annotations)) {
    if (key.startsWith(ALIYUN_WEIGHT_PREFIX) || key === SERVICE_WEIGHT || key === SERVICE_MATCH) {
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
  if (sink.hasErrors()) return null;
  if (hasSticky) {
    for (const key of [STICKY_COOKIE, STICKY_MAX_AGE]) {
      if (annotations[key] !== undefined)
        sink.warning(annotationField(key), 'is ignored on a canary Ingress; set it on the main Ingress, which owns the split');
    }
  }
  if (annotations[SSL_REDIRECT] !== undefined)
    sink.warning(annotationField(SSL_REDIRECT), 'is ignored on a canary Ingress; the main Ingress of the path decides, as in ingress-nginx');
  if (hasDefaultBackend) sink.warning('spec.defaultBackend', 'is ignored on a canary Ingress, as in ingress-nginx');
  plan.groups = groups.map((g) => ({ ...g, declared: [10000], rules: [] }));
  return plan;
}
