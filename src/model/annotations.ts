// Every annotation splitplane reads, by name, and the check that catches the ones it does not know:
// a misspelt `canary-wieght` silently doing nothing is the kind of rough edge we are here to remove.

import { annotationField, type DiagnosticSink } from '../objects/diagnostics.js';
import { ALIYUN_WEIGHT_PREFIX } from './dialects/aliyun.js';

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
export const SPLITPLANE_PREFIX = 'splitplane.io/';

export const SERVICE_WEIGHT = `${NGINX_PREFIX}service-weight`;
export const SERVICE_MATCH = `${NGINX_PREFIX}service-match`;

export const CANARY = `${NGINX_PREFIX}canary`;
export const CANARY_WEIGHT = `${NGINX_PREFIX}canary-weight`;
export const CANARY_WEIGHT_TOTAL = `${NGINX_PREFIX}canary-weight-total`;
export const CANARY_BY_HEADER = `${NGINX_PREFIX}canary-by-header`;
export const CANARY_BY_HEADER_VALUE = `${NGINX_PREFIX}canary-by-header-value`;
export const CANARY_BY_HEADER_PATTERN = `${NGINX_PREFIX}canary-by-header-pattern`;
export const CANARY_BY_COOKIE = `${NGINX_PREFIX}canary-by-cookie`;
export const CANARY_SETTINGS: readonly string[] = [
  CANARY_WEIGHT,
  CANARY_WEIGHT_TOTAL,
  CANARY_BY_HEADER,
  CANARY_BY_HEADER_VALUE,
  CANARY_BY_HEADER_PATTERN,
  CANARY_BY_COOKIE,
];

export const SSL_REDIRECT = `${NGINX_PREFIX}ssl-redirect`;

export const STICKY_COOKIE = `${SPLITPLANE_PREFIX}sticky-cookie`;
export const STICKY_MAX_AGE = `${SPLITPLANE_PREFIX}sticky-max-age`;

const KNOWN: ReadonlySet<string> = new Set([SERVICE_WEIGHT, SERVICE_MATCH, CANARY, ...CANARY_SETTINGS, SSL_REDIRECT, STICKY_COOKIE, STICKY_MAX_AGE]);

/** Warns about annotations in our namespaces, or ingress-nginx's, that splitplane does not act on. */
export function checkUnknownAnnotations(annotations: Readonly<Record<string, string>>, sink: DiagnosticSink): void {
  for (const key of Object.keys(annotations).sort()) {
    if (KNOWN.has(key) || key.startsWith(ALIYUN_WEIGHT_PREFIX)) continue;
    if (key.startsWith(SPLITPLANE_PREFIX)) {
      sink.warning(annotationField(key), `is not a splitplane annotation and is ignored; known ones are ${STICKY_COOKIE} and ${STICKY_MAX_AGE}`);
    } else if (key.startsWith(NGINX_PREFIX)) {
      const name = key.slice(NGINX_PREFIX.length);
      const hint = name.startsWith('canary')
        ? `; the canary annotations are ${['canary', ...CANARY_SETTINGS.map((k) => k.slice(NGINX_PREFIX.length))].join(', ')}`
        : '';
      sink.warning(annotationField(key), `is not supported by splitplane and is ignored${hint}`);
    }
  }
}

/** RFC 7230 token: what a header name may be. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-name (a token as well). */
export const COOKIE_NAME = HEADER_NAME;
