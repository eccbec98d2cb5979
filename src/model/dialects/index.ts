// Every dialect splitplane reads ("Dialects as a list" in docs/design.md), in the order the planner consults them (on one path, the first weight
// dialect to claim it wins and a second is an error). Adding a dialect is adding its file and a line here.

import { NGINX_PREFIX, SPLITPLANE_PREFIX } from '../annotations.js';
import { sslRedirectDialect } from '../ssl-redirect.js';
import { annotationField, type DiagnosticSink } from '../../objects/diagnostics.js';
import { ackDialect } from './ack.js';
import { aliyunDialect } from './aliyun.js';
import { canaryDialect } from './canary.js';
import { owns, type Annotations, type Dialect } from './dialect.js';
import { stickyDialect } from './sticky.js';
import { rolloutDialect } from './rollout.js';

export const DIALECTS: readonly Dialect[] = [aliyunDialect, ackDialect, canaryDialect, stickyDialect, sslRedirectDialect, rolloutDialect];

/**
 * Warns about annotations in our namespaces, or ingress-nginx's, that no dialect reads: a misspelt
 * `canary-wieght` silently doing nothing is the kind of rough edge we are here to remove.
 */
export function checkUnknownAnnotations(annotations: Annotations, sink: DiagnosticSink): void {
  for (const key of Object.keys(annotations).sort()) {
    if (DIALECTS.some((d) => owns(d, key))) continue;
    if (key.startsWith(SPLITPLANE_PREFIX)) {
      const known = DIALECTS.flatMap((d) => d.keys).filter((k) => k.startsWith(SPLITPLANE_PREFIX));
      sink.warning(annotationField(key), `is not a splitplane annotation and is ignored; known ones are ${known.join(' and ')}`);
    } else if (key.startsWith(NGINX_PREFIX)) {
      const name = key.slice(NGINX_PREFIX.length);
      const canary = canaryDialect.keys.map((k) => k.slice(NGINX_PREFIX.length));
      const hint = name.startsWith('canary') ? `; the canary annotations are ${canary.join(', ')}` : '';
      sink.warning(annotationField(key), `is not supported by splitplane and is ignored${hint}`);
    }
  }
}
