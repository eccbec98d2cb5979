// Plans kept per Ingress object. A plan depends on the Ingress object alone, and the store hands out the
// same object for as long as the Ingress is unchanged; so a rebuild after one change plans one Ingress,
// not all of them. The cache belongs to whoever runs the builds (the controller's rebuild loop keeps
// one for its life); a build given none plans everything. Plans and their diagnostics are never
// modified after planning, so sharing them between builds is safe.

import { DiagnosticSink, type Diagnostic } from '../objects/diagnostics.js';
import type { Ingress } from '../objects/kube.js';
import { planIngress, refOf, type IngressPlan } from './plan.js';
import { pushAll } from '../lists.js';

export class PlanCache {
  private readonly plans = new WeakMap<Ingress, { plan: IngressPlan | null; diagnostics: readonly Diagnostic[] }>();

  /** planIngress, computed once per Ingress object; its diagnostics are added to `sink` each time. */
  planOnce(ingress: Ingress, sink: DiagnosticSink): IngressPlan | null {
    let entry = this.plans.get(ingress);
    if (!entry) {
      const own = new DiagnosticSink(refOf(ingress));
      const planned = planIngress(ingress, own);
      entry = { plan: planned.ok ? planned.value : null, diagnostics: own.items };
      this.plans.set(ingress, entry);
    }
    pushAll(sink.items, entry.diagnostics);
    return entry.plan;
  }
}
