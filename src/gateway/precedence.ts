// Gateway API match precedence across every HTTPRoute rule attached to a listener for one hostname. Pure,
// to the specification (HTTPRouteRule.matches): continuing on ties, precedence goes to
//
//   1. an Exact path match, over a PathPrefix one (RegularExpression is implementation-specific: here it
//      comes after both, the longest pattern first, since a regex cannot be ranked by what it matches);
//   2. the longest path;
//   3. a method match;
//   4. the most header matches;
//   5. the most query parameter matches;
//
// then across routes the oldest (creation timestamp), then `namespace/name` in alphabetical order, and within
// a route the first rule, then the first match of the rule. Envoy takes the first route that matches, so the
// routes are written in this order.

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';

/** One match of one rule, with what orders it. */
export interface RankedMatch {
  path: { type: PathMatchType; value: string };
  method?: string;
  headers: number;
  queryParams: number;
  route: { namespace: string; name: string; creationTimestamp?: string };
  rule: number;
  match: number;
}

/** HTTPRoute's default when a match names no path: every path (PathPrefix `/`). */
export const DEFAULT_PATH = { type: 'PathPrefix' as const, value: '/' };

const PATH_RANK: Readonly<Record<PathMatchType, number>> = { Exact: 0, PathPrefix: 1, RegularExpression: 2 };

/** Negative when `a` is tried before `b`. */
export function compareMatches(a: RankedMatch, b: RankedMatch): number {
  return (
    PATH_RANK[a.path.type] - PATH_RANK[b.path.type] ||
    b.path.value.length - a.path.value.length ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers - a.headers ||
    b.queryParams - a.queryParams ||
    compareAge(a.route.creationTimestamp, b.route.creationTimestamp) ||
    compareText(`${a.route.namespace}/${a.route.name}`, `${b.route.namespace}/${b.route.name}`) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}

// RFC 3339 timestamps of one API server compare as text; a route without one (files) is the youngest.
function compareAge(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  return compareText(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The matches in the order Envoy must try them. */
export function inPrecedence<T extends RankedMatch>(matches: readonly T[]): T[] {
  return [...matches].sort(compareMatches);
}
