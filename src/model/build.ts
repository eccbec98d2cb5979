// buildModel: the store's objects → the routing model and every diagnostic. Pure: the previous
// accepted Ingresses come in and the new ones go out, so "an error keeps the last accepted form"
// needs no hidden state.
//
// Three steps: plan each Ingress alone (plan.ts); lay the main Ingresses' paths out by age, older
// first, and attach canary Ingresses to them (layout.ts); then resolve Services and endpoints and
// turn declared weights into what Envoy gets (resolve.ts).

import { DiagnosticSink, sortDiagnostics, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { indexClusterState } from './backends.js';
import { guard } from './guard.js';
import { Layout } from './layout.js';
import { isOurs } from '../objects/ingress-class.js';
import { KEEPS_SERVING, NEVER_ACCEPTED, admissible, admitAll, type AcceptedObjects, type RejectedObjects } from './admission.js';
import { namespaceOf, objectKey, type EndpointSlice, type Ingress, type IngressClass, type KubeObject, type Secret, type Service } from '../objects/kube.js';
import { refOfObject } from './validation/validate.js';
import { markHttpsRedirects } from './ssl-redirect.js';
import { tlsHosts } from './tls.js';
import { planIngressOnce, refOf, type IngressPlan } from './plan.js';
import type { RoutingModel, SecretModel, TlsHostModel } from './types.js';

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
      if ((plan.ingress.spec?.tls ?? []).length > 0)
        sinks.get(key)!.warning('spec.tls', 'is ignored on a canary Ingress; the main Ingress decides HTTPS for the host');
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

/** planIngressOnce, with an unexpected exception turned into an error on the Ingress. */
function planSafely(ingress: Ingress, sink: DiagnosticSink): IngressPlan | null {
  return guard(sink, 'planned', () => planIngressOnce(ingress, sink)) ?? null;
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
