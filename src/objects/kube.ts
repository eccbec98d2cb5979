// The subset of Kubernetes object shapes that splitplane reads. Legacy Ingress versions are converted to
// the v1 shape on read (source/legacy.ts), so everything downstream sees only these.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  creationTimestamp?: string;
  resourceVersion?: string;
  uid?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface ServiceBackendPort {
  number?: number;
  name?: string;
}

export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

export interface Ingress extends KubeObject {
  kind: 'Ingress';
  spec: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    tls?: IngressTLS[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec: { ports?: ServicePort[]; type?: string; clusterIP?: string };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

export interface EndpointSlice extends KubeObject {
  kind: 'EndpointSlice';
  addressType?: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface IngressClass extends KubeObject {
  kind: 'IngressClass';
  spec: { controller?: string };
}

export interface Secret extends KubeObject {
  kind: 'Secret';
  type?: string;
  /** Base64, as the API returns it. */
  data?: Record<string, string>;
  /** Plain text, as people write it in manifests; the API server merges it into data. */
  stringData?: Record<string, string>;
}

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export function namespaceOf(obj: Pick<KubeObject, 'metadata'>): string {
  return obj.metadata.namespace || 'default';
}

// Objects are never changed once read (a change is a new object), so an object's key is kept with it.
const keys = new WeakMap<object, string>();

export function objectKey(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  let key = keys.get(obj);
  if (key === undefined) {
    key = `${obj.kind}/${namespaceOf(obj)}/${obj.metadata.name}`;
    keys.set(obj, key);
  }
  return key;
}
