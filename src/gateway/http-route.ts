// One HTTPRoute or GRPCRoute alone → its rules as the model serves them: request matches in Envoy's terms,
// filters resolved, backends weighed in basis points. What the route asks for that cannot be served (a
// regex RE2 refuses, a filter kind we do not know) makes the route `Accepted: False, UnsupportedValue`;
// what does not resolve (a backend, a mirror) makes it `ResolvedRefs: False` and answers as the spec says.

import type { ObjectRef } from '../objects/diagnostics.js';
import { namespaceOf } from '../objects/kube.js';
import type {
  GRPCRoute,
  GRPCRouteMatch,
  GRPCRouteRule,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  HeaderModifier,
  PathModifier,
} from '../objects/gateway-api.js';
import { checkPattern } from '../model/regex.js';
import { quoteRegex } from '../model/regex.js';
import type { Backend, Condition, GatewayRule, HeaderEdits, PathChange, RequestMatch, RuleFilters } from '../model/types.js';
import { TOTAL_BASIS_POINTS } from '../model/types.js';
import { normaliseRelative } from '../model/weights.js';
import { parseDuration } from '../model/validation/routes.js';
import { resolveBackendRef, type BackendContext } from './backend-refs.js';
import type { REASON } from './conditions.js';

export interface RouteProblem {
  field: string;
  reason: keyof typeof REASON;
  message: string;
}

export interface PlannedRule {
  rule: GatewayRule;
  matches: RequestMatch[];
}

export interface PlannedRoute {
  ref: ObjectRef;
  kind: 'HTTPRoute' | 'GRPCRoute';
  namespace: string;
  hostnames: string[];
  creationTimestamp?: string;
  rules: PlannedRule[];
  /** Values that cannot be served: the route is not accepted (its last accepted form keeps serving). */
  unsupported: RouteProblem[];
  /** References that do not resolve: served as the spec says (500 for a backend's share). */
  unresolved: RouteProblem[];
  /** Backends that resolve but have no ready endpoint (503 for their share), for diagnostics. */
  unready: Array<{ field: string; message: string }>;
}

/** A full-match RE2 regex as Envoy runs it; Gateway API regexes are matched whole. */
const FULL = (source: string) => source;

export function planRoute(route: HTTPRoute | GRPCRoute, context: Omit<BackendContext, 'from'>): PlannedRoute {
  const namespace = namespaceOf(route);
  const ref: ObjectRef = { kind: route.kind, namespace, name: route.metadata.name };
  const planned: PlannedRoute = {
    ref,
    kind: route.kind,
    namespace,
    hostnames: (route.spec?.hostnames ?? []).map((h) => h.toLowerCase()),
    rules: [],
    unsupported: [],
    unresolved: [],
    unready: [],
  };
  if (route.metadata.creationTimestamp !== undefined) planned.creationTimestamp = route.metadata.creationTimestamp;
  const backendContext: BackendContext = { ...context, from: { kind: route.kind, namespace }, grpc: route.kind === 'GRPCRoute' };
  (route.spec?.rules ?? []).forEach((rule, i) => {
    const field = `spec.rules[${i}]`;
    const matches =
      route.kind === 'HTTPRoute'
        ? ((rule as HTTPRouteRule).matches ?? [{}]).map((m, j) => httpMatch(m, `${field}.matches[${j}]`, planned))
        : ((rule as GRPCRouteRule).matches ?? [{}]).map((m, j) => grpcMatch(m, `${field}.matches[${j}]`, planned));
    const filters = ruleFilters(rule.filters ?? [], `${field}.filters`, planned, backendContext);
    const gatewayRule: GatewayRule = {
      source: ref,
      rule: i,
      backends: [],
      filters,
      noBackend: false,
    };
    if (rule.name !== undefined) gatewayRule.name = rule.name;
    if (route.kind === 'GRPCRoute') gatewayRule.grpc = true;
    gatewayRule.backends = ruleBackends(rule.backendRefs ?? [], `${field}.backendRefs`, planned, backendContext);
    gatewayRule.noBackend = gatewayRule.backends.every((b) => b.declaredBasisPoints === 0) && filters.redirect === undefined;
    const timeouts = (rule as { timeouts?: { request?: string; backendRequest?: string } }).timeouts;
    if (timeouts && (timeouts.request !== undefined || timeouts.backendRequest !== undefined)) {
      gatewayRule.timeouts = {};
      if (timeouts.request !== undefined) gatewayRule.timeouts.requestMs = parseDuration(timeouts.request);
      if (timeouts.backendRequest !== undefined) gatewayRule.timeouts.backendRequestMs = parseDuration(timeouts.backendRequest);
    }
    planned.rules.push({ rule: gatewayRule, matches: matches.filter((m): m is RequestMatch => m !== undefined) });
  });
  return planned;
}

function regexOf(value: string, field: string, planned: PlannedRoute): string | undefined {
  const checked = checkPattern(value, FULL);
  if (checked.ok) return checked.value;
  planned.unsupported.push({ field, reason: 'UnsupportedValue', message: checked.diagnostics.join('; ') });
  return undefined;
}

function headerConditions(
  list: ReadonlyArray<{ type?: string; name: string; value: string }>,
  field: string,
  kind: 'header' | 'query',
  planned: PlannedRoute,
): Condition[] | undefined {
  const out: Condition[] = [];
  const seen = new Set<string>();
  let failed = false;
  list.forEach((entry, i) => {
    // Header names are case-insensitive: of equivalent names only the first counts (the spec's rule).
    const name = kind === 'header' ? entry.name.toLowerCase() : entry.name;
    if (seen.has(name)) return;
    seen.add(name);
    if (entry.type === 'RegularExpression') {
      if (regexOf(entry.value, `${field}[${i}].value`, planned) === undefined) failed = true;
      else out.push({ kind, name, regex: entry.value });
    } else out.push({ kind, name, exact: entry.value });
  });
  return failed ? undefined : out;
}

function httpMatch(match: HTTPRouteMatch, field: string, planned: PlannedRoute): RequestMatch | undefined {
  const type = match.path?.type ?? 'PathPrefix';
  const value = match.path?.value ?? '/';
  if (type === 'RegularExpression' && regexOf(value, `${field}.path.value`, planned) === undefined) return undefined;
  const headers = headerConditions(match.headers ?? [], `${field}.headers`, 'header', planned);
  const query = headerConditions(match.queryParams ?? [], `${field}.queryParams`, 'query', planned);
  if (!headers || !query) return undefined;
  const out: RequestMatch = { path: { type, value }, conditions: [...headers, ...query] };
  if (match.method !== undefined) out.method = match.method;
  return out;
}

// A gRPC method is the request path `/<service>/<method>`.
function grpcMatch(match: GRPCRouteMatch, field: string, planned: PlannedRoute): RequestMatch | undefined {
  const headers = headerConditions(match.headers ?? [], `${field}.headers`, 'header', planned);
  if (!headers) return undefined;
  const method = match.method;
  let path: RequestMatch['path'] = { type: 'PathPrefix', value: '/' };
  if (method && (method.type ?? 'Exact') === 'Exact') {
    if (method.service !== undefined && method.method !== undefined) path = { type: 'Exact', value: `/${method.service}/${method.method}` };
    else if (method.service !== undefined) path = { type: 'PathPrefix', value: `/${method.service}` };
    else if (method.method !== undefined) path = { type: 'RegularExpression', value: `/[^/]+/${quoteRegex(method.method)}` };
  } else if (method) {
    for (const [part, at] of [
      [method.service, `${field}.method.service`],
      [method.method, `${field}.method.method`],
    ] as const) {
      if (part !== undefined && regexOf(part, at, planned) === undefined) return undefined;
    }
    path = { type: 'RegularExpression', value: `/(?:${method.service ?? '[^/]+'})/(?:${method.method ?? '[^/]+'})` };
  }
  return { path, conditions: headers };
}

function headerEdits(modifier: HeaderModifier): HeaderEdits {
  return {
    set: (modifier.set ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    add: (modifier.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    remove: (modifier.remove ?? []).map((h) => h.toLowerCase()),
  };
}

function pathChange(path: PathModifier | undefined): PathChange | undefined {
  if (!path) return undefined;
  return path.type === 'ReplaceFullPath' ? { type: path.type, value: path.replaceFullPath ?? '/' } : { type: path.type, value: path.replacePrefixMatch ?? '/' };
}

function ruleFilters(filters: readonly HTTPRouteFilter[], field: string, planned: PlannedRoute, context: BackendContext): RuleFilters {
  const out: RuleFilters = { mirrors: [] };
  filters.forEach((filter, i) => {
    const at = `${field}[${i}]`;
    switch (filter.type) {
      case 'RequestHeaderModifier':
        out.requestHeaders = headerEdits(filter.requestHeaderModifier!);
        break;
      case 'ResponseHeaderModifier':
        out.responseHeaders = headerEdits(filter.responseHeaderModifier!);
        break;
      case 'RequestRedirect': {
        const r = filter.requestRedirect!;
        const redirect: NonNullable<RuleFilters['redirect']> = { statusCode: r.statusCode ?? 302 };
        if (r.scheme !== undefined) redirect.scheme = r.scheme;
        if (r.hostname !== undefined) redirect.hostname = r.hostname;
        if (r.port !== undefined) redirect.port = r.port;
        const path = pathChange(r.path);
        if (path) redirect.path = path;
        out.redirect = redirect;
        break;
      }
      case 'URLRewrite': {
        const r = filter.urlRewrite!;
        const rewrite: NonNullable<RuleFilters['rewrite']> = {};
        if (r.hostname !== undefined) rewrite.hostname = r.hostname;
        const path = pathChange(r.path);
        if (path) rewrite.path = path;
        out.rewrite = rewrite;
        break;
      }
      case 'RequestMirror': {
        const mirror = filter.requestMirror!;
        const resolved = resolveBackendRef(mirror.backendRef, context);
        if (!resolved.ok) {
          planned.unresolved.push({
            field: `${at}.requestMirror.backendRef`,
            reason: resolved.reason,
            message: `${resolved.message}; no copies of requests are sent`,
          });
          break;
        }
        const percent = mirror.fraction ? (mirror.fraction.numerator / (mirror.fraction.denominator ?? 100)) * 100 : (mirror.percent ?? 100);
        out.mirrors.push({ cluster: resolved.cluster, percent });
        break;
      }
      default:
        planned.unsupported.push({
          field: `${at}.type`,
          reason: 'UnsupportedValue',
          message: `filter ${filter.type}${filter.extensionRef ? ` (${filter.extensionRef.kind} ${filter.extensionRef.name})` : ''} is not supported by splitplane`,
        });
    }
  });
  // Envoy refuses header edits of `host` (a NACK): setting it is a hostname rewrite, removing it is not possible.
  const edits = out.requestHeaders;
  if (edits) {
    const host = [...edits.set, ...edits.add].find((h) => h.name === 'host');
    edits.set = edits.set.filter((h) => h.name !== 'host');
    edits.add = edits.add.filter((h) => h.name !== 'host');
    edits.remove = edits.remove.filter((h) => h !== 'host');
    if (host && out.rewrite?.hostname === undefined) out.rewrite = { ...out.rewrite, hostname: host.value };
  }
  return out;
}

function ruleBackends(refs: readonly HTTPBackendRef[], field: string, planned: PlannedRoute, context: BackendContext): Backend[] {
  const weights = refs.map((r) => r.weight ?? 1);
  const declared = normaliseRelative(weights, TOTAL_BASIS_POINTS);
  return refs.map((ref, i) => {
    const at = `${field}[${i}]`;
    if ((ref.filters ?? []).length > 0)
      planned.unsupported.push({
        field: `${at}.filters`,
        reason: 'UnsupportedValue',
        message: 'filters on one backend are not supported by splitplane; put them on the rule (spec.rules[].filters)',
      });
    const resolved = resolveBackendRef(ref, context);
    if (!resolved.ok) {
      const share = declared[i]! > 0 ? `its ${declared[i]! / 100}% of the rule's requests answer 500` : 'it has weight 0, so no request is affected';
      planned.unresolved.push({ field: at, reason: resolved.reason, message: `${resolved.message}; ${share}` });
      return { service: ref.name, cluster: null, declaredBasisPoints: declared[i]!, basisPoints: declared[i]!, ready: false };
    }
    if (!resolved.ready && declared[i]! > 0)
      planned.unready.push({ field: at, message: `${resolved.reason}; its ${declared[i]! / 100}% of the rule's requests answer 503 until it has one` });
    return { service: ref.name, cluster: resolved.cluster, declaredBasisPoints: declared[i]!, basisPoints: declared[i]!, ready: resolved.ready };
  });
}
