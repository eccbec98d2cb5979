// The routing model: what the Ingresses mean once dialects, readiness and conflicts are resolved.
// It knows nothing about Envoy; resources/ translates it into xDS resources.

import type { ObjectRef } from '../objects/diagnostics.js';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** The total every split group's weights are normalised to: basis points, 1/100 of a percent. */
export const TOTAL_BASIS_POINTS = 10000;

/** A backend of a split group as the Ingress declares it. */
export interface DeclaredBackend {
  service: string;
  /** Service port as written: a number or a port name. */
  port: number | string;
  /** Where in the Ingress the backend is written, for diagnostics. */
  field: string;
}

/** A backend after its Service, port and endpoints have been looked up. */
export interface Backend {
  service: string;
  /** Cluster name, `<namespace>/<service>/<port>`; null when the Service or port cannot be resolved. */
  cluster: string | null;
  /** Weight declared by the dialect, in basis points. */
  declaredBasisPoints: number;
  /** Weight after readiness, in basis points: this is what Envoy gets. */
  basisPoints: number;
  ready: boolean;
  /** The canary Ingress that added this version, when it was not written in the group's own Ingress. */
  canaryOf?: ObjectRef;
  /** The Service's namespace and port as the Ingress writes them (a number or a name). */
  namespace?: string;
  port?: number | string;
}

/**
 * One condition on a request, already in the form Envoy matches: a header (cookies are matched on the
 * `cookie` header) or a query parameter, equal to `exact` or fully matching the RE2 `regex`.
 */
export interface Condition {
  kind: 'header' | 'query';
  name: string;
  exact?: string;
  regex?: string;
}

/** A route placed before the group's weighted route: requests meeting every condition go to `backends`. */
export interface RouteRule {
  conditions: Condition[];
  /** Indexes into the group's backends with basis points; one entry means a plain cluster route. */
  targets: Array<{ backend: number; basisPoints: number }>;
  /** Which annotation asked for it, e.g. `canary-by-header always`, for names and the debug view. */
  reason: string;
}

/** `splitplane.io/sticky-cookie`: the weighted route sets a cookie naming the version a client reached. */
export interface Sticky {
  cookie: string;
  maxAgeSeconds?: number;
}

/** The cookie value naming one version of a sticky split, and the condition matching a request carrying it. */
export interface StickyValue {
  value: string;
  match: Condition;
}

/** Path entries of one Ingress with the same host, path and pathType. */
export interface SplitGroup {
  source: ObjectRef;
  host: string;
  path: string;
  pathType: PathType;
  backends: Backend[];
  /** Header, cookie and query routes, in precedence order, before the weighted route. */
  rules: RouteRule[];
  sticky?: Sticky;
  /** With `sticky`: per backend (same index as `backends`), its cookie value and match, decided by the model. */
  stickyValues?: StickyValue[];
  /** Plain HTTP is answered with a redirect to HTTPS: the host has a certificate and the Ingress did not opt out. */
  redirectToHttps?: true;
  /** Position of the group in its Ingress, for "manifest order" ties. */
  order: number;
}

/** A request match of a Gateway API route rule, in the form Envoy matches (gateway/http-route.ts). */
export interface RequestMatch {
  path: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  /** Headers and query parameters: `exact` or a fully matching RE2 `regex`. */
  conditions: Condition[];
  method?: string;
}

export interface HeaderEdits {
  set: Array<{ name: string; value: string }>;
  add: Array<{ name: string; value: string }>;
  remove: string[];
}

export interface PathChange {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  value: string;
}

/** The filters of a Gateway API rule, already resolved (a mirror names its cluster). */
export interface RuleFilters {
  requestHeaders?: HeaderEdits;
  responseHeaders?: HeaderEdits;
  redirect?: { scheme?: string; hostname?: string; port?: number; statusCode: number; path?: PathChange };
  rewrite?: { hostname?: string; path?: PathChange };
  /** Copies of requests: a mirror whose backend does not resolve is left out (its rule says so). */
  mirrors: Array<{ cluster: string; percent: number }>;
}

/**
 * One rule of an HTTPRoute or GRPCRoute attached to a listener: its backends are a split like an Ingress
 * path's (basis points), except that a backend that cannot be resolved keeps its share and that share
 * answers 500, and an unready one keeps it too (Envoy answers 503), as the Gateway API specifies.
 */
export interface GatewayRule {
  source: ObjectRef;
  rule: number;
  /** `spec.rules[i].name`, when given. */
  name?: string;
  backends: Backend[];
  filters: RuleFilters;
  /** Every backend weighs 0, or there is none (and no redirect): the rule answers 500. */
  noBackend: boolean;
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  /** GRPCRoute: the rule's backends speak HTTP/2. */
  grpc?: true;
}

/** One match of a rule, in the host's precedence order. */
export interface GatewayRouteEntry {
  rule: GatewayRule;
  match: RequestMatch;
  /** Index of the match in the rule (`spec.rules[i].matches[j]`), for names. */
  matchIndex: number;
}

export interface VirtualHostModel {
  /** Host name, a wildcard like `*.foo.com`, or `*` for rules without host. */
  host: string;
  /** Gateway API routes for this host, in precedence order, tried before the Ingress groups' routes. */
  gatewayRoutes?: GatewayRouteEntry[];
  /** For a one-label wildcard host: the RE2 regex the request's authority must fully match. */
  authorityRegex?: string;
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
  /** Reached over HTTP/2 without TLS (h2c): a GRPCRoute sends to it. */
  http2?: true;
}

/** A host served on HTTPS: Envoy picks the filter chain by SNI and gets the certificate by SDS. */
export interface TlsHostModel {
  /** Host name or wildcard, as in spec.tls[].hosts. */
  host: string;
  /** SDS secret name, `<namespace>/<secret>`. */
  secret: string;
}

/** A certificate and its key, PEM. Only the SDS resource carries the key; nothing else may print it. */
export interface SecretModel {
  name: string;
  certificateChain: string;
  privateKey: string;
}

/** A port a Gateway listens on (other than the Ingress ports): its own Envoy listener and routes. */
export interface GatewayPortModel {
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  virtualHosts: VirtualHostModel[];
  /** HTTPS: one filter chain per listener hostname (`*` for none), with its certificates. */
  tls?: Array<{ hostname: string; secrets: string[] }>;
}

export interface RoutingModel {
  virtualHosts: VirtualHostModel[];
  /** Gateway API listeners on ports of their own; none without Gateways. */
  gatewayPorts?: GatewayPortModel[];
  clusters: ClusterModel[];
  tlsHosts: TlsHostModel[];
  secrets: SecretModel[];
}
