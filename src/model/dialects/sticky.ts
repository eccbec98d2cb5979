// splitplane's sticky split: `splitplane.io/sticky-cookie: "<name>"` (and optional
// `splitplane.io/sticky-max-age: "<seconds>"`). The weighted route's response sets the cookie to the
// version the request reached; later requests carrying it go to that version while it has weight.
// All the state is in the client's cookie, so it holds across every Envoy of a fleet.

import { COOKIE_NAME, STICKY_COOKIE, STICKY_MAX_AGE } from '../annotations.js';
import { annotationField, type DiagnosticSink } from '../diagnostics.js';
import type { Sticky } from '../types.js';

const MAX_AGE_LIMIT = 2 ** 31 - 1;

/** Undefined when not asked for; null on error (reported in `sink`). */
export function parseSticky(annotations: Readonly<Record<string, string>>, sink: DiagnosticSink): Sticky | undefined | null {
  const cookie = annotations[STICKY_COOKIE];
  const maxAge = annotations[STICKY_MAX_AGE];
  if (cookie === undefined) {
    if (maxAge === undefined) return undefined;
    sink.error(annotationField(STICKY_MAX_AGE), `needs ${STICKY_COOKIE} to name the cookie`);
    return null;
  }
  let failed = false;
  if (!COOKIE_NAME.test(cookie)) {
    sink.error(annotationField(STICKY_COOKIE), `${JSON.stringify(cookie)} is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`);
    failed = true;
  }
  const sticky: Sticky = { cookie };
  if (maxAge !== undefined) {
    if (!/^\d+$/.test(maxAge.trim()) || Number(maxAge) < 1 || Number(maxAge) > MAX_AGE_LIMIT) {
      sink.error(annotationField(STICKY_MAX_AGE), `${JSON.stringify(maxAge)} is not a number of seconds from 1 to ${MAX_AGE_LIMIT}`);
      failed = true;
    } else sticky.maxAgeSeconds = Number(maxAge);
  }
  return failed ? null : sticky;
}
