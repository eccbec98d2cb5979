// HTTP → HTTPS redirection, as ingress-nginx does it: a host served on HTTPS answers plain HTTP with a
// 308 to the same URL on HTTPS, unless the Ingress that owns the path says
// `nginx.ingress.kubernetes.io/ssl-redirect: "false"`. The redirect belongs to the path, not to the
// host: one Ingress may opt out while another on the same host does not.

import { SSL_REDIRECT } from './annotations.js';
import { annotationField, type Diagnostic, type DiagnosticSink, type ObjectRef } from '../objects/diagnostics.js';
import type { Dialect } from './dialects/dialect.js';
import { ok, type Result } from '../objects/result.js';
import type { TlsHostModel, VirtualHostModel } from './types.js';

/** True unless the Ingress opts out. */
export function parseSslRedirect(annotations: Readonly<Record<string, string>>, sink: DiagnosticSink): Result<boolean, Diagnostic> {
  const value = annotations[SSL_REDIRECT];
  if (value === undefined) return ok(true);
  // ingress-nginx parses the value as a Go boolean; the two spellings people write are accepted.
  const normalised = value.trim().toLowerCase();
  if (normalised === 'true') return ok(true);
  if (normalised === 'false') return ok(false);
  const mark = sink.mark();
  sink.error(annotationField(SSL_REDIRECT), `${JSON.stringify(value)} is not "true" or "false"`);
  return sink.resultSince(mark, false);
}

/**
 * Whether a virtual host is reached on HTTPS: a certificate names it, or names the wildcard one label
 * above it (a `*.foo.com` certificate covers `bar.foo.com`).
 */
export function servedOnHttps(tlsHosts: readonly TlsHostModel[]): (host: string) => boolean {
  const names = new Set(tlsHosts.map((t) => t.host));
  return (host) => {
    if (names.has(host)) return true;
    const dot = host.indexOf('.');
    return !host.startsWith('*') && dot > 0 && names.has(`*${host.slice(dot)}`);
  };
}

/**
 * Marks the groups whose plain-HTTP requests are redirected: those on a host served on HTTPS whose
 * Ingress has not opted out. The default backend is shared by every virtual host, so a host that
 * redirects gets its own marked copy.
 */
export function markHttpsRedirects(virtualHosts: VirtualHostModel[], tlsHosts: readonly TlsHostModel[], redirects: (source: ObjectRef) => boolean): void {
  const served = servedOnHttps(tlsHosts);
  for (const vhost of virtualHosts) {
    if (!served(vhost.host)) continue;
    // Marked copies: a group may be the very object of the last build (kept by resolveGroup), which
    // must not change under the snapshot that serves it.
    vhost.groups = vhost.groups.map((group) => (redirects(group.source) && !group.redirectToHttps ? { ...group, redirectToHttps: true } : group));
    if (vhost.defaultBackend && redirects(vhost.defaultBackend.source)) vhost.defaultBackend = { ...vhost.defaultBackend, redirectToHttps: true };
  }
}

/** The dialect: ingress-nginx's ssl-redirect, on by default for hosts with a certificate. */
export const sslRedirectDialect: Dialect = {
  name: 'ingress-nginx ssl-redirect',
  keys: [SSL_REDIRECT],
  settings(annotations, sink) {
    const sslRedirect = parseSslRedirect(annotations, sink);
    return sslRedirect.ok ? ok({ sslRedirect: sslRedirect.value }) : sslRedirect;
  },
};
