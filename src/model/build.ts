// buildModel: the store's objects → the routing model and every diagnostic. Pure: the previous
// accepted Ingresses come in and the new ones go out, so "an error keeps the last accepted form"
// needs no hidden state.
//
// Three steps: plan each Ingress alone (plan.ts); lay the main Ingresses' paths out by age, older
// first, and attach canary Ingresses to them (layout.ts); then resolve Services and endpoints and
// turn declared weights into what Envoy gets (resolve.ts).

import { DiagnosticSink, sortDiagnostics, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { ClusterIndex } from './backends.js';
import { guard } from './guard.js';
import { Layout } from './layout.js';
import { isOurs } from '../objects/ingress-class.js';
import { KEEPS_SERVING, NEVER_ACCEPTED, admissible, admitAll, type AcceptedObjects, type RejectedObjects } from './admission.js';
import { namespaceOf, objectKey, type EndpointSlice, type Ingress, type IngressClass, type KubeObject, type Secret, type Service } from '../objects/kube.js';
import { refOfObject } from './validation/validate.js';
import { markHttpsRedirects } from './ssl-redirect.js';
import { tlsHosts } from './tls.js';
import { refOf, type IngressPlan } from './plan.js';
import { PlanCache } from './plan-cache.js';
import { byKey, byName } from '../order.js';
import type { RoutingModel, SecretModel, TlsHostModel } from './types.js';
import { pushAll } from '../lists.js';
import { buildGateways, type GatewayInput } from '../gateway/build.js';
import type { GatewayStatuses } from '../gateway/conditions.js';
import type { IngressPorts } from '../gateway/listeners.js';
import { mergeIngressPort } from '../gateway/ingress-port.js';

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
  /** Plans of earlier builds, kept by the caller's rebuild loop; without it every Ingress is planned. */
  plans?: PlanCache;
  /** The cluster state's index of the last build, kept by the caller's rebuild loop; without it, made anew. */
  clusterIndex?: ClusterIndex;
  /** Gateway API objects and where the Ingress listeners are; without it no Gateway is served. */
  gateway?: GatewayInput & { ingressPorts: IngressPorts };
}

export interface BuildResult {
  model: RoutingModel;
  diagnostics: Diagnostic[];
  /** The form of every object used: the previous accepted forms for the next build. */
  accepted: Map<string, KubeObject>;
  /** Conditions of the Gateway API objects of our classes, for their status. */
  gatewayStatuses?: GatewayStatuses;
}

/** One Ingress of our class through the build: its diagnostics, and the plan that serves, if any. */
interface IngressEntry {
  key: string;
  sink: DiagnosticSink;
  plan: IngressPlan;
  /** The last accepted form, for when the current one cannot be attached (a canary that no longer fits). */
  fallback?: IngressPlan;
  /** The current form failed on its own and `plan` already is the last accepted form. */
  lastForm?: boolean;
  /** Position by age, older first: conflicts go to the older Ingress. */
  rank: number;
}

/**
 * `part`: the build is of some Ingresses for model/incremental.ts, whose other kinds are those of the
 * last build; their accepted forms are not recorded again (the caller layers this build's on the last's).
 */
export function buildModel(input: ModelInput, previous: AcceptedObjects = new Map(), part = false): BuildResult {
  const diagnostics: Diagnostic[] = [];
  const accepted = new Map<string, KubeObject>();
  const rejected = input.rejected ?? new Map();
  const plans = input.plans ?? new PlanCache();
  // Everything but Ingresses is used in its current form when valid, else in its last valid form.
  const others = part ? undefined : accepted;
  const ingressClasses = admitAll(input.ingressClasses, previous, rejected, others, diagnostics);
  const services = admitAll(input.services, previous, rejected, others, diagnostics);
  const endpointSlices = admitAll(input.endpointSlices, previous, rejected, others, diagnostics);
  const secrets = admitAll(input.secrets ?? [], previous, rejected, others, diagnostics);
  // Another controller's Ingresses are ignored quietly, whatever their shape.
  const ours = input.ingresses.filter((i) => isOurs(i, { ingressClass: input.ingressClass, ingressClasses }));
  const sinks: DiagnosticSink[] = [];
  const entries: IngressEntry[] = [];
  const planSafely = (ingress: Ingress, sink: DiagnosticSink) => guard(sink, 'planned', () => plans.planOnce(ingress, sink)) ?? null;

  for (const raw of ours) {
    const key = objectKey(raw);
    const sink = new DiagnosticSink(refOfObject(raw));
    sinks.push(sink);
    const admitted = admissible(raw, rejected, sink);
    const ingress = admitted.ok ? admitted.value : undefined;
    const plan = ingress ? planSafely(ingress, sink) : null;
    const previousForm = previous.get(key) as Ingress | undefined;
    const last = previousForm && !rejected.has(previousForm) ? previousForm : undefined;
    // The last accepted form validated before; planning depends on the Ingress alone, so it still does.
    // It is planned only when it may be needed: this form failed, or it is a canary that may not fit.
    const needsFallback = last !== undefined && last !== ingress && (!plan || plan.canary !== undefined);
    const fallback = needsFallback ? (planSafely(last, new DiagnosticSink(refOf(last))) ?? undefined) : undefined;
    if (plan) {
      entries.push({ key, sink, plan, fallback, rank: 0 });
    } else if (fallback) {
      entries.push({ key, sink, plan: fallback, lastForm: true, rank: 0 });
      sink.warning('metadata', KEEPS_SERVING);
    } else {
      sink.warning('metadata', `this Ingress ${NEVER_ACCEPTED}: it serves nothing`);
    }
  }
  entries.sort((a, b) => byAge(a.plan, b.plan));
  entries.forEach((entry, i) => (entry.rank = i));

  const layout = new Layout();
  for (const { plan, sink, key } of entries) {
    if (plan.canary) continue;
    if (guard(sink, 'laid out', () => (layout.addMain(plan, sink), true))) accepted.set(key, plan.ingress);
  }
  // Canaries already serving in their current form attach first, whatever their age: when a changed
  // canary and an unchanged one no longer fit together, the change is what gets rejected, so what
  // Envoy serves is never lost to someone else's edit.
  const unchangedFirst = (e: IngressEntry) => (previous.get(e.key) === e.plan.ingress ? 0 : 1);
  const canaries = entries.filter((e) => e.plan.canary).sort((a, b) => unchangedFirst(a) - unchangedFirst(b));
  for (const { plan, fallback, lastForm, key, sink, rank } of canaries) {
    const errors = guard(sink, 'attached to its main Ingress', () => layout.attachCanary(plan, rank, sink));
    if (errors === undefined) continue;
    if (errors.length === 0) {
      accepted.set(key, plan.ingress);
      continue;
    }
    if (lastForm) {
      sink.warning('metadata', 'the last accepted version of this canary no longer fits next to the other canaries of its path either, so it serves nothing');
      continue;
    }
    pushAll(sink.items, errors);
    if (fallback?.canary && layout.attachCanary(fallback, rank, new DiagnosticSink(plan.ref)).length === 0) {
      accepted.set(key, fallback.ingress);
      sink.warning('metadata', 'this version is rejected because of the errors above; the last accepted version of the Ingress keeps serving');
    } else {
      sink.warning('metadata', 'this Ingress is rejected because of the errors above and has never been accepted, so it serves nothing');
    }
  }

  const state = (input.clusterIndex ?? new ClusterIndex()).index(services, endpointSlices);
  const model = layout.resolve(state);
  const secretsByName = new Map(secrets.map((s) => [`${namespaceOf(s)}/${s.metadata.name}`, s]));
  const taken = new Map<string, ObjectRef>();
  const tlsSecrets = new Map<string, SecretModel>();
  const https: TlsHostModel[] = [];
  for (const { plan, key, sink } of entries) {
    if (accepted.get(key) !== plan.ingress) continue;
    if (plan.canary) {
      if ((plan.ingress.spec?.tls ?? []).length > 0) sink.warning('spec.tls', 'is ignored on a canary Ingress; the main Ingress decides HTTPS for the host');
      continue;
    }
    pushAll(https, guard(sink, 'given its HTTPS hosts', () => tlsHosts(plan.ingress, plan.ref, secretsByName, taken, tlsSecrets, sink)) ?? []);
  }
  model.tlsHosts = https.sort(byKey((t) => t.host));
  model.secrets = [...tlsSecrets.values()].sort(byKey((s) => s.name));
  const redirects = new Map(entries.filter((e) => !e.plan.canary).map((e) => [`${e.plan.ref.namespace}/${e.plan.ref.name}`, e.plan.sslRedirect]));
  markHttpsRedirects(model.virtualHosts, model.tlsHosts, (source) => redirects.get(`${source.namespace}/${source.name}`) === true);
  let gatewayStatuses: GatewayStatuses | undefined;
  if (input.gateway) {
    const clusters = new Map(model.clusters.map((c) => [c.name, c]));
    const gatewaySecrets = new Map<string, SecretModel>();
    const gateway = buildGateways(input.gateway, {
      state,
      secrets: secretsByName,
      ingressPorts: { ...input.gateway.ingressPorts, httpsHosts: model.tlsHosts.map((t) => t.host) },
      previous,
      rejected,
      accepted,
      clusters,
      tlsSecrets: gatewaySecrets,
    });
    pushAll(diagnostics, gateway.diagnostics);
    model.virtualHosts = mergeIngressPort(model.virtualHosts, gateway.ingressPortHosts, accepted, diagnostics);
    if (gateway.ports.length > 0) model.gatewayPorts = gateway.ports;
    model.clusters = [...clusters.values()].sort(byName);
    for (const secret of gatewaySecrets.values()) if (!model.secrets.some((s) => s.name === secret.name)) model.secrets.push(secret);
    model.secrets.sort(byKey((s) => s.name));
    gatewayStatuses = gateway.statuses;
  }
  for (const sink of sinks) pushAll(diagnostics, sink.items);
  const result: BuildResult = { model, diagnostics: sortDiagnostics(diagnostics), accepted };
  if (gatewayStatuses) result.gatewayStatuses = gatewayStatuses;
  return result;
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
