// A Gateway API rule's match → one Envoy route. The split is `weighted_clusters` in basis points like an
// Ingress group's; the share of backends that do not resolve goes to a cluster that never exists, and
// `cluster_not_found_response_code` makes exactly that share answer 500, as the specification requires.
// Filters become the route's header edits, redirect, rewrites and mirror policies.

import type { Backend, GatewayRouteEntry, HeaderEdits, PathChange, RequestMatch, RuleFilters } from '../model/types.js';
import { quoteRegex } from '../model/regex.js';
import type { ResourceBody } from './resource.js';
import { matcher } from './route.js';

/** Never a cluster: cluster names are `<namespace>/<service>/<port>`, and this has one slash. */
export const INVALID_BACKEND_CLUSTER = 'splitplane/invalid-backend-ref';

export interface ListenerContext {
  port: number;
  scheme: 'http' | 'https';
}

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

export function gatewayRouteName(entry: GatewayRouteEntry): string {
  const s = entry.rule.source;
  return `${s.kind.toLowerCase()}:${s.namespace}/${s.name}:rule${entry.rule.rule}:match${entry.matchIndex}`;
}

/** The split of a rule: one cluster, or weighted clusters with the invalid share on a cluster that never exists. */
export function splitAction(backends: readonly Backend[]): ResourceBody | undefined {
  const live = backends.filter((b) => b.cluster !== null && b.basisPoints > 0);
  const invalid = backends.filter((b) => b.cluster === null).reduce((sum, b) => sum + b.basisPoints, 0);
  if (live.length === 0 && invalid === 0) return undefined;
  if (live.length === 1 && invalid === 0) return { cluster: live[0]!.cluster };
  const clusters: ResourceBody[] = live.map((b) => ({ name: b.cluster, weight: { value: b.basisPoints } }));
  if (invalid > 0) clusters.push({ name: INVALID_BACKEND_CLUSTER, weight: { value: invalid } });
  return { weighted_clusters: { clusters } };
}

export function gatewayRoute(entry: GatewayRouteEntry, listener: ListenerContext): ResourceBody {
  const { rule, match } = entry;
  const route: ResourceBody = { name: gatewayRouteName(entry), match: requestMatch(match) };
  const filters = rule.filters;
  // HTTPRoute: 500 for what has no backend (the spec's words); GRPCRoute: UNAVAILABLE, which a gRPC
  // client reads from a 503.
  const failed = rule.grpc ? 503 : 500;
  if (filters.redirect) route.redirect = redirectAction(filters.redirect, match, listener);
  else if (rule.noBackend) route.direct_response = { status: failed, body: { inline_string: 'no backend of this route rule takes traffic\n' } };
  else {
    const action = routeAction(rule.backends, filters, match, rule.timeouts, rule.grpc === true);
    if (action) route.route = action;
    else route.direct_response = { status: failed, body: { inline_string: 'no backend of this route rule can be resolved\n' } };
  }
  if (filters.requestHeaders) Object.assign(route, headerEdits(filters.requestHeaders, 'request'));
  if (filters.responseHeaders) Object.assign(route, headerEdits(filters.responseHeaders, 'response'));
  return route;
}

export function requestMatch(match: RequestMatch): ResourceBody {
  const out: ResourceBody = pathMatch(match.path);
  const headers = match.conditions.filter((c) => c.kind === 'header').map(matcher);
  if (match.method !== undefined) headers.push({ name: ':method', string_match: { exact: match.method } });
  const query = match.conditions.filter((c) => c.kind === 'query').map(matcher);
  if (headers.length > 0) out.headers = headers;
  if (query.length > 0) out.query_parameters = query;
  return out;
}

function pathMatch(path: RequestMatch['path']): ResourceBody {
  if (path.type === 'Exact') return { path: path.value };
  if (path.type === 'RegularExpression') return { safe_regex: { regex: path.value } };
  // PathPrefix matches whole path elements; a trailing "/" does not change the prefix.
  const trimmed = path.value.replace(/\/+$/, '');
  return trimmed === '' ? { prefix: '/' } : { path_separated_prefix: trimmed };
}

function routeAction(
  backends: readonly Backend[],
  filters: RuleFilters,
  match: RequestMatch,
  timeouts: GatewayRouteEntry['rule']['timeouts'],
  grpc: boolean,
): ResourceBody | undefined {
  const split = splitAction(backends);
  if (
    !split ||
    (split.cluster === undefined && !(split.weighted_clusters as { clusters: ResourceBody[] }).clusters.some((c) => c.name !== INVALID_BACKEND_CLUSTER))
  )
    return undefined;
  const action: ResourceBody = { ...split };
  if (backends.some((b) => b.cluster === null && b.basisPoints > 0))
    action.cluster_not_found_response_code = grpc ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
  const rewrite = filters.rewrite;
  if (rewrite?.hostname !== undefined) action.host_rewrite_literal = rewrite.hostname;
  if (rewrite?.path) Object.assign(action, pathRewrite(rewrite.path, match));
  if (filters.mirrors.length > 0)
    action.request_mirror_policies = filters.mirrors.map((m) => {
      const policy: ResourceBody = { cluster: m.cluster };
      if (m.percent < 100) policy.runtime_fraction = { default_value: { numerator: Math.round(m.percent * 10000), denominator: 'MILLION' } };
      return policy;
    });
  if (timeouts) {
    const request = timeouts.requestMs ?? timeouts.backendRequestMs;
    if (request !== undefined) action.timeout = duration(request);
    if (timeouts.backendRequestMs !== undefined && timeouts.requestMs !== undefined && timeouts.backendRequestMs < timeouts.requestMs)
      action.retry_policy = { num_retries: { value: 0 }, per_try_timeout: duration(timeouts.backendRequestMs) };
  }
  return action;
}

/** `ReplacePrefixMatch` replaces the matched prefix; a replacement of "/" must not leave "//" behind. */
function pathRewrite(change: PathChange, match: RequestMatch): ResourceBody {
  if (change.type === 'ReplaceFullPath') return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: change.value } };
  const prefix = match.path.value.replace(/\/+$/, '');
  const replacement = change.value.replace(/\/+$/, '');
  if (replacement === '') return { regex_rewrite: { pattern: { regex: `^${quoteRegex(prefix)}/*` }, substitution: '/' } };
  return prefix === '' ? { regex_rewrite: { pattern: { regex: '^/' }, substitution: `${replacement}/` } } : { prefix_rewrite: replacement };
}

function redirectAction(redirect: NonNullable<RuleFilters['redirect']>, match: RequestMatch, listener: ListenerContext): ResourceBody {
  const out: ResourceBody = { response_code: REDIRECT_CODES[redirect.statusCode] ?? 'FOUND' };
  const scheme = redirect.scheme ?? listener.scheme;
  if (redirect.scheme !== undefined) out.scheme_redirect = redirect.scheme;
  if (redirect.hostname !== undefined) out.host_redirect = redirect.hostname;
  // The spec's port: the one given, else the scheme's well-known port when the scheme changes, else the
  // listener's; a Location never shows 80 for http or 443 for https.
  const port = redirect.port ?? (redirect.scheme !== undefined ? (scheme === 'https' ? 443 : 80) : listener.port);
  const wellKnown = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  if (!wellKnown) out.port_redirect = port;
  if (redirect.path) {
    if (redirect.path.type === 'ReplaceFullPath') out.path_redirect = redirect.path.value;
    else Object.assign(out, pathRewrite(redirect.path, match));
  }
  return out;
}

function headerEdits(edits: HeaderEdits, side: 'request' | 'response'): ResourceBody {
  const out: ResourceBody = {};
  const add = [
    ...edits.set.map((h) => ({ header: { key: h.name, value: literal(h.value) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    ...edits.add.map((h) => ({ header: { key: h.name, value: literal(h.value) }, append_action: 'APPEND_IF_EXISTS_OR_ADD' })),
  ];
  if (add.length > 0) out[`${side}_headers_to_add`] = add;
  if (edits.remove.length > 0) out[`${side}_headers_to_remove`] = edits.remove;
  return out;
}

// Envoy reads header values as format strings (`%REQ(...)%`): a user's "%" is a literal percent.
function literal(value: string): string {
  return value.replace(/%/g, '%%');
}

function duration(ms: number): ResourceBody {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
