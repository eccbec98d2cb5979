// splitplane's sticky split: `splitplane.io/sticky-cookie: "<name>"` (and optional
// `splitplane.io/sticky-max-age: "<seconds>"`). The weighted route's response sets the cookie to the
// version the request reached; later requests carrying it go to that version while it has weight.
// All the state is in the client's cookie, so it holds across every Envoy of a fleet.

import { createHash } from 'node:crypto';
import { STICKY_COOKIE, STICKY_MAX_AGE } from '../annotations.js';
import { COOKIE_NAME } from '../conditions.js';
import { annotationField, type Diagnostic, type DiagnosticSink } from '../../objects/diagnostics.js';
import { COOKIE_TEXT_BUDGET, exactCookieRegex } from '../regex.js';
import type { Sticky, StickyValue, Backend } from '../types.js';
import type { Dialect } from './dialect.js';
import { ok, reason, type Result } from '../../objects/result.js';

/** A hashed cookie value: `v-` and 8 hex digits. */
const HASHED_VALUE_LENGTH = 10;

const MAX_AGE_LIMIT = 2 ** 31 - 1;

/** The sticky annotations: undefined when there are none. */
export function parseSticky(annotations: Readonly<Record<string, string>>, sink: DiagnosticSink): Result<Sticky | undefined, Diagnostic> {
  const mark = sink.mark();
  const cookie = annotations[STICKY_COOKIE];
  const maxAge = annotations[STICKY_MAX_AGE];
  if (cookie === undefined) {
    if (maxAge === undefined) return ok(undefined);
    sink.error(annotationField(STICKY_MAX_AGE), `needs ${STICKY_COOKIE} to name the cookie`);
    return sink.resultSince(mark, undefined);
  }
  if (!COOKIE_NAME.test(cookie)) {
    sink.error(annotationField(STICKY_COOKIE), `${JSON.stringify(cookie)} is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`);
  } else if (!exactCookieRegex(cookie, 'v'.repeat(HASHED_VALUE_LENGTH)).ok) {
    // Envoy matches the cookie with a regex, and its size limit leaves room for a short name only.
    sink.error(
      annotationField(STICKY_COOKIE),
      `${JSON.stringify(cookie)} is too long: Envoy's regex size limit leaves room for a cookie name of at most ${COOKIE_TEXT_BUDGET - HASHED_VALUE_LENGTH} characters`,
    );
  }
  const sticky: Sticky = { cookie };
  if (maxAge !== undefined) {
    if (!/^\d+$/.test(maxAge.trim()) || Number(maxAge) < 1 || Number(maxAge) > MAX_AGE_LIMIT) {
      sink.error(annotationField(STICKY_MAX_AGE), `${JSON.stringify(maxAge)} is not a number of seconds from 1 to ${MAX_AGE_LIMIT}`);
    } else sticky.maxAgeSeconds = Number(maxAge);
  }
  return sink.resultSince(mark, sticky);
}

/**
 * What the sticky cookie says for each version of a group. The Service name, readable and settable by
 * hand, when it alone names the version and its match fits Envoy's regex limit; otherwise a short hash
 * of the version's cluster, which is as stable and always fits.
 */
export function stickyCookieValues(cookie: string, backends: readonly Backend[]): string[] {
  return backends.map((v) => {
    const unique = backends.filter((o) => o.service === v.service).length === 1;
    if (unique && exactCookieRegex(cookie, v.service).ok) return v.service;
    return `v-${createHash('sha256')
      .update(v.cluster ?? v.service)
      .digest('hex')
      .slice(0, HASHED_VALUE_LENGTH - 2)}`;
  });
}

/**
 * Each version's cookie value and the cookie condition that sends a
 * request back to it. parseSticky has checked that a hashed value always fits Envoy's regex limit and
 * stickyCookieValues uses a Service name only when it fits, so every condition can be made; an
 * exception here would be a bug, and the model's guard turns it into a diagnostic on the Ingress.
 */
export function stickyValues(sticky: Sticky, backends: readonly Backend[]): StickyValue[] {
  const values = stickyCookieValues(sticky.cookie, backends).map((value) => {
    const checked = exactCookieRegex(sticky.cookie, value);
    if (!checked.ok) throw new Error(`sticky cookie ${sticky.cookie}=${value}: ${reason(checked)}`);
    return { value, match: { kind: 'header' as const, name: 'cookie', regex: checked.value } };
  });
  return values;
}

/** The dialect: splitplane's sticky split. */
export const stickyDialect: Dialect = {
  name: 'splitplane sticky split',
  keys: [STICKY_COOKIE, STICKY_MAX_AGE],
  settings(annotations, sink) {
    const sticky = parseSticky(annotations, sink);
    return sticky.ok ? ok(sticky.value ? { sticky: sticky.value } : {}) : sticky;
  },
};
