// Gateway API hostname intersection: which hostnames of an HTTPRoute or GRPCRoute a listener serves.
// Pure, to the Gateway API specification (HTTPRouteSpec.hostnames, "Hostnames in Gateway API"):
//
// - a hostname is precise (`www.example.com`) or a wildcard (`*.example.com`), which matches by suffix: any
//   number of labels in front of `.example.com`, but not `example.com` itself;
// - a listener without a hostname takes every hostname of the route; a route without hostnames takes the
//   listener's (every hostname when the listener has none either);
// - otherwise the route is served for the intersection: each route hostname the listener's matches, or the
//   listener's hostname when a route wildcard matches it (the more precise of the two); none at all is the
//   route's `NoMatchingListenerHostname`.
//
// This is the Gateway API's rule for Gateway API objects; an Ingress host keeps the Ingress meaning of a
// wildcard, one label (model/wildcard.ts).

/** Every hostname: a listener and a route that both name none. */
export const ANY_HOSTNAME = '*';

/** Whether `hostname` is matched by `pattern` (precise: equal; wildcard: a suffix of one or more labels). */
export function hostnameMatches(pattern: string, hostname: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === hostname;
  const suffix = pattern.slice(1);
  if (hostname.startsWith('*.')) return hostname.slice(1).endsWith(suffix) && hostname.length > pattern.length;
  return hostname.endsWith(suffix) && hostname.length > suffix.length;
}

/**
 * The hostnames a route is served for on a listener, most precise kept, in the route's order; an empty list
 * when they do not intersect. A listener or route without hostnames is `undefined` / `[]`.
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  const routeNames = route.map((h) => h.toLowerCase());
  const listenerName = listener === undefined || listener === '' ? undefined : listener.toLowerCase();
  if (listenerName === undefined) return routeNames.length === 0 ? [ANY_HOSTNAME] : dedupe(routeNames);
  if (routeNames.length === 0) return [listenerName];
  const out: string[] = [];
  for (const name of routeNames) {
    if (name === listenerName || hostnameMatches(listenerName, name)) out.push(name);
    else if (hostnameMatches(name, listenerName)) out.push(listenerName);
  }
  return dedupe(out);
}

function dedupe(names: readonly string[]): string[] {
  return [...new Set(names)];
}
