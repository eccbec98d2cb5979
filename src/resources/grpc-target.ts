// Which virtual host a gRPC target routes by. The listener name a channel asks for is its target's
// authority, `mini-echo.io` or `mini-echo.io:50051`: any host a client may dial, so listeners are made
// on demand from the name, not listed in advance. Ingress host rules decide, not Envoy's domain
// matching: an exact host first, then a wildcard that covers exactly one label (`*.foo.com` takes
// `bar.foo.com`, not `baz.bar.foo.com`), then the rules without a host and the default backend (`*`).

/** Longest authority taken: a DNS name (253) and a port. */
const AUTHORITY_LIMIT = 253 + 6;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** The host of a target authority, lower-cased, without its port; undefined when it is no host name (and port). */
export function targetHost(authority: string): string | undefined {
  if (authority.length === 0 || authority.length > AUTHORITY_LIMIT) return undefined;
  const colon = authority.lastIndexOf(':');
  let host = authority;
  if (colon >= 0) {
    const port = authority.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
    host = authority.slice(0, colon);
  }
  host = host.toLowerCase();
  return host.length <= 253 && DNS_NAME.test(host) ? host : undefined;
}

/** The virtual host (of `hosts`) that serves `authority`, or undefined when none does. */
export function resolveTarget(authority: string, hosts: ReadonlySet<string>): string | undefined {
  const host = targetHost(authority);
  if (host === undefined) return undefined;
  if (hosts.has(host)) return host;
  const dot = host.indexOf('.');
  if (dot > 0 && hosts.has(`*${host.slice(dot)}`)) return `*${host.slice(dot)}`;
  return hosts.has('*') ? '*' : undefined;
}
