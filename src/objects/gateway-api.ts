// The Gateway API kinds splitplane reads (gateway.networking.k8s.io/v1, standard channel): the fields the
// model uses, after validation (model/validation/gateway-*.ts) has checked what the CRD schema would.

import type { KubeObject } from './kube.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** ReferenceGrant is served as v1 and v1beta1 by the current CRDs; both read the same. */
export const GATEWAY_API_VERSIONS = new Set([`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`]);

export interface GatewayClass extends KubeObject {
  kind: 'GatewayClass';
  spec: { controllerName: string; description?: string };
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: string; certificateRefs?: SecretObjectReference[] };
  allowedRoutes?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector'; selector?: LabelSelector };
    kinds?: RouteGroupKind[];
  };
}

export interface Gateway extends KubeObject {
  kind: 'Gateway';
  spec: { gatewayClassName: string; listeners: GatewayListener[]; addresses?: Array<{ type?: string; value?: string }> };
}

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HeaderModifier {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: { scheme?: string; hostname?: string; path?: PathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: { backendRef: BackendObjectReference; percent?: number; fraction?: { numerator: number; denominator?: number } };
  extensionRef?: { group: string; kind: string; name: string };
}

export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  queryParams?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  method?: string;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface HTTPRoute extends KubeObject {
  kind: 'HTTPRoute';
  spec: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: HTTPRouteRule[] };
}

export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression';
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
}

export interface GRPCRoute extends KubeObject {
  kind: 'GRPCRoute';
  spec: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: GRPCRouteRule[] };
}

export interface ReferenceGrant extends KubeObject {
  kind: 'ReferenceGrant';
  spec: {
    from: Array<{ group: string; kind: string; namespace: string }>;
    to: Array<{ group: string; kind: string; name?: string }>;
  };
}

/** A Namespace, read only for its labels (listener `allowedRoutes.namespaces.selector`). */
export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

export type Route = HTTPRoute | GRPCRoute;

/** The kinds whose namespace is the cluster: their key has no namespace of its own. */
export const CLUSTER_SCOPED_KINDS = new Set(['GatewayClass', 'IngressClass', 'Namespace']);
