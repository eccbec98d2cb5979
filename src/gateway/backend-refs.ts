// A route's backendRefs → backends of the split. A reference is invalid when it names a kind other than
// a core Service (`InvalidKind`), a Service in another namespace without a ReferenceGrant there
// (`RefNotPermitted`), or a Service or port that does not exist (`BackendNotFound`). An invalid backend
// keeps its weight: the share of requests it would have had answers 500, as the specification requires.
// A Service with no ready endpoints keeps its share too, and Envoy answers 503 for it (the specification's
// SHOULD): unlike an Ingress split, nothing is moved to the other backends.

import { resolveBackend, type ClusterState } from '../model/backends.js';
import { GATEWAY_GROUP, type BackendObjectReference } from '../objects/gateway-api.js';
import type { ClusterModel, EndpointAddress } from '../model/types.js';
import { clusterModel } from '../model/resolve.js';
import type { Grants } from './grants.js';
import { REASON } from './conditions.js';

export type BackendResolution =
  | { ok: true; service: string; namespace: string; cluster: string; ready: boolean; reason?: string }
  | { ok: false; service: string; reason: keyof typeof REASON; message: string };

export interface BackendContext {
  state: ClusterState;
  grants: Grants;
  /** The route's kind and namespace, for ReferenceGrants. */
  from: { kind: string; namespace: string };
  /** Clusters the build sends traffic to: a resolved backend adds its own. */
  clusters: Map<string, ClusterModel>;
  /** The route is a GRPCRoute: its backends are reached over HTTP/2. */
  grpc?: boolean;
}

const http2Models = new WeakMap<ClusterModel, ClusterModel>();
function http2Of(model: ClusterModel): ClusterModel {
  let out = http2Models.get(model);
  if (!out) http2Models.set(model, (out = { ...model, http2: true }));
  return out;
}

export function resolveBackendRef(ref: BackendObjectReference, context: BackendContext): BackendResolution {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const namespace = ref.namespace ?? context.from.namespace;
  const label = `${namespace}/${ref.name}`;
  if (group !== '' || kind !== 'Service') {
    return {
      ok: false,
      service: ref.name,
      reason: 'InvalidKind',
      message: `${group === '' ? kind : `${kind}.${group}`} ${label} is not a kind splitplane can send traffic to; refer to a Service (group "", kind Service)`,
    };
  }
  const permitted = context.grants.permits({
    from: { group: GATEWAY_GROUP, kind: context.from.kind, namespace: context.from.namespace },
    to: { group: '', kind: 'Service', namespace, name: ref.name },
  });
  if (!permitted) {
    return {
      ok: false,
      service: ref.name,
      reason: 'RefNotPermitted',
      message: `Service ${label} is in another namespace and no ReferenceGrant in ${namespace} lets ${context.from.kind}s of ${context.from.namespace} refer to it`,
    };
  }
  const port = ref.port;
  if (port === undefined) return { ok: false, service: ref.name, reason: 'BackendNotFound', message: `the reference to Service ${label} gives no port` };
  const resolution = resolveBackend(context.state, namespace, ref.name, port);
  if (!resolution.ok && (resolution.cluster === null || resolution.port === undefined))
    return { ok: false, service: ref.name, reason: 'BackendNotFound', message: resolution.reason };
  const cluster = resolution.cluster!;
  if (!context.clusters.has(cluster))
    context.clusters.set(cluster, clusterModel(cluster, namespace, ref.name, resolution.port!, resolution.endpoints as EndpointAddress[]));
  // A Service port a GRPCRoute sends to is reached over HTTP/2 from every route (a gRPC server speaks
  // nothing else); the shared cluster object is copied, never changed.
  const known = context.clusters.get(cluster)!;
  if (context.grpc && !known.http2) context.clusters.set(cluster, http2Of(known));
  const out: BackendResolution = { ok: true, service: ref.name, namespace, cluster, ready: resolution.ok };
  if (!resolution.ok) out.reason = resolution.reason;
  return out;
}
