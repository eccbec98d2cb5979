// splitplane's automated rollout: `splitplane.io/rollout: "<version>; steps=…; interval=…; …"` on the
// Ingress that owns the version (the main Ingress, or the ingress-nginx canary Ingress that lends it).
// The syntax is checked here, with the Ingress; the rollout itself is driven by src/rollout/.

import { ROLLOUT } from '../annotations.js';
import { annotationField } from '../../objects/diagnostics.js';
import { ok } from '../../objects/result.js';
import { parseRolloutSpec } from '../../rollout/spec.js';
import type { Dialect } from './dialect.js';

export const rolloutDialect: Dialect = {
  name: 'splitplane rollout',
  keys: [ROLLOUT],
  settings(annotations, sink) {
    const text = annotations[ROLLOUT];
    if (text === undefined) return ok({});
    const mark = sink.mark();
    const spec = parseRolloutSpec(text);
    if (!spec.ok) {
      for (const problem of spec.diagnostics) sink.error(annotationField(ROLLOUT), `${problem}; the weights stay as they are`);
      return sink.failedSince(mark);
    }
    return ok({ rollout: spec.value });
  },
};
