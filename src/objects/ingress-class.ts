// Which Ingresses are ours: class named by spec.ingressClassName or the legacy annotation equals our
// class; an Ingress with no class is ours unless another controller's IngressClass is marked default.

import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION, type Ingress, type IngressClass } from './kube.js';

export const CONTROLLER_NAME = 'splitplane.io/ingress-controller';

export interface ClassPolicy {
  /** Our class name (`--ingress-class`). */
  ingressClass: string;
  ingressClasses: readonly IngressClass[];
}

// Read before the Ingress's shape is checked (another controller's Ingresses are not ours to judge), so
// anything but a string counts as no class.
export function classOf(ingress: Ingress): string | undefined {
  const named = ingress.spec?.ingressClassName;
  if (typeof named === 'string') return named;
  const annotation = ingress.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  return typeof annotation === 'string' ? annotation : undefined;
}

export function isOurs(ingress: Ingress, policy: ClassPolicy): boolean {
  const named = classOf(ingress);
  // Ours by name, or through an IngressClass of that name whose controller is splitplane.
  if (named !== undefined && named !== '') {
    return named === policy.ingressClass || policy.ingressClasses.some((c) => c.metadata.name === named && c.spec?.controller === CONTROLLER_NAME);
  }
  const defaults = policy.ingressClasses.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  if (defaults.length === 0) return true;
  return defaults.some((c) => c.metadata.name === policy.ingressClass || c.spec?.controller === CONTROLLER_NAME);
}
