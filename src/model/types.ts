// The routing model: what the Ingresses mean once dialects, readiness and conflicts are resolved.
// It knows nothing about Envoy; resources/ translates it into xDS resources.

import type { ObjectRef } from './diagnostics.js';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** The total every split group's weights are normalised to: basis points, 1/100 of a percent. */
export const TOTAL_BASIS_POINTS = 10000;

/** A backend of a split group as the Ingress declares it. */
export interface DeclaredVersion {
  service: string;
  /** Service port as written: a number or a port name. */
  port: number | string;
  /** Where in the Ingress the backend is written, for diagnostics. */
  field: string;
}

/** A backend after its Service, port and endpoints have been looked up. */
export interface Version {
  service: string;
  /** Cluster name, `<namespace>/<service>/<port>`; null when the Service or port cannot be resolved. */
  cluster: string | null;
  /** Weight declared by the dialect, in basis points. */
  declaredBasisPoints: number;
  /** Weight after readiness, in basis points: this is what Envoy gets. */
  basisPoints: number;
  ready: boolean;
}

/** Path entries of one Ingress with the same host, path and pathType. */
export interface SplitGroup {
  source: ObjectRef;
  host: string;
  path: string;
  pathType: PathType;
  versions: Version[];
  /** Position of the group in its Ingress, for "manifest order" ties. */
  order: number;
}

export interface VirtualHostModel {
  /** Host name, a wildcard like `*.foo.com`, or `*` for rules without host. */
  host: string;
  groups: SplitGroup[];
  /** The default backend (last route of every virtual host), if any Ingress declares one. */
  defaultBackend?: SplitGroup;
}

export interface EndpointAddress {
  address: string;
  port: number;
}

export interface ClusterModel {
  name: string;
  namespace: string;
  service: string;
  port: number;
  endpoints: EndpointAddress[];
}

export interface RoutingModel {
  virtualHosts: VirtualHostModel[];
  clusters: ClusterModel[];
}
