// validateObject: one object → the same object in the shape the model relies on, or the errors that
// keep it out. Every kind answers the same way. Results are kept per object: the store hands out the
// same object while it is unchanged, so a rebuild checks only what changed.

import { DiagnosticSink, type Diagnostic, type ObjectRef } from '../../objects/diagnostics.js';
import type { KubeObject } from '../../objects/kube.js';
import { checkEndpointSlice } from './endpoint-slice.js';
import { checkIngressClass } from './ingress-class.js';
import { checkIngress } from './ingress.js';
import { checkSecret } from './secret.js';
import { checkService } from './service.js';
import { checkGateway, checkGatewayClass, checkNamespace, checkReferenceGrant } from './gateway-api.js';
import { checkGrpcRoute, checkHttpRoute } from './routes.js';
import { CLUSTER_SCOPED_KINDS } from '../../objects/gateway-api.js';
import { Shape } from './shape.js';

export type Validation<T extends KubeObject = KubeObject> =
  { valid: true; object: T; diagnostics: readonly Diagnostic[] } | { valid: false; diagnostics: readonly Diagnostic[] };

type Checker = (object: Record<string, unknown>, shape: Shape) => KubeObject | undefined;

const CHECKERS: Readonly<Record<string, Checker>> = {
  Ingress: checkIngress,
  Service: checkService,
  EndpointSlice: checkEndpointSlice,
  Secret: checkSecret,
  IngressClass: checkIngressClass,
  GatewayClass: checkGatewayClass,
  Gateway: checkGateway,
  HTTPRoute: checkHttpRoute,
  GRPCRoute: checkGrpcRoute,
  ReferenceGrant: checkReferenceGrant,
  Namespace: checkNamespace,
};

const results = new WeakMap<KubeObject, Validation>();

export function validateObject<T extends KubeObject>(object: T): Validation<T> {
  let result = results.get(object);
  if (!result) {
    result = check(object);
    results.set(object, result);
  }
  return result as Validation<T>;
}

/** How diagnostics name an object, whatever its metadata holds. */
export function refOfObject(object: Pick<KubeObject, 'kind' | 'metadata'>): ObjectRef {
  const metadata = (object.metadata ?? {}) as unknown as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  const ref: ObjectRef = { kind: object.kind, name: name.length > 253 ? `${name.slice(0, 253)}…` : name };
  return CLUSTER_SCOPED_KINDS.has(object.kind) ? ref : { ...ref, namespace };
}

function check(object: KubeObject): Validation {
  const sink = new DiagnosticSink(refOfObject(object));
  const checker = CHECKERS[object.kind];
  if (!checker) return { valid: true, object, diagnostics: [] };
  let checked: KubeObject | undefined;
  try {
    checked = checker(object as unknown as Record<string, unknown>, new Shape(sink));
  } catch (error) {
    sink.error('metadata', `could not be checked (${error instanceof Error ? error.message : String(error)}); this is a splitplane bug, please report it`);
  }
  if (!checked || sink.hasErrors()) return { valid: false, diagnostics: sink.items };
  return { valid: true, object: checked, diagnostics: sink.items };
}
