// The blue-green example's dialect (Alibaba Cloud ACK blue-green): `ingress.aliyun.weight/<service>: "<percent>"`.
// Annotated versions get their percent; unannotated versions share what is left equally. When every
// version of a group is annotated the numbers are relative weights.

import { annotationField, type Diagnostic, type DiagnosticSink } from '../../objects/diagnostics.js';
import type { Annotations, Dialect, GroupView, WeightReading } from './dialect.js';
import { ok, reason, type Result } from '../../objects/result.js';
import { TOTAL_BASIS_POINTS } from '../types.js';
import { normaliseRelative, parsePercent, shareEqually } from '../weights.js';

export const ALIYUN_WEIGHT_PREFIX = 'ingress.aliyun.weight/';

/** The percent of every annotated Service that is a backend of one of `groups`. */
function aliyunPercents(annotations: Annotations, groups: readonly GroupView[], sink: DiagnosticSink): Result<Map<string, number>, Diagnostic> {
  const mark = sink.mark();
  const percents = new Map<string, number>();
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(ALIYUN_WEIGHT_PREFIX)) continue;
    const service = key.slice(ALIYUN_WEIGHT_PREFIX.length);
    if (service === '') {
      sink.error(annotationField(key), `names no service: write ${ALIYUN_WEIGHT_PREFIX}<service-name>`);
      continue;
    }
    const parsed = parsePercent(String(value));
    if (!parsed.ok) {
      sink.error(annotationField(key), reason(parsed));
      continue;
    }
    if (!groups.some((g) => g.services.includes(service))) {
      sink.warning(annotationField(key), `service ${JSON.stringify(service)} is not a backend of any path of this Ingress; the annotation is ignored`);
      continue;
    }
    percents.set(service, parsed.value);
  }
  return sink.resultSince(mark, percents);
}

function weighGroup(group: GroupView, percents: ReadonlyMap<string, number>, sink: DiagnosticSink): Result<number[], Diagnostic> {
  const mark = sink.mark();
  const annotated = group.services.map((s) => percents.get(s));
  const annotatedSum = annotated.reduce<number>((sum, bp) => sum + (bp ?? 0), 0);
  const fieldOf = (service: string) => annotationField(ALIYUN_WEIGHT_PREFIX + service);
  const named = [...new Set(group.services.filter((s) => percents.has(s)))];

  if (annotatedSum > TOTAL_BASIS_POINTS) {
    sink.error(
      fieldOf(named.at(-1) ?? ''),
      `weights for ${group.label} add up to ${annotatedSum / 100} percent (${named.map((s) => `${s}=${(percents.get(s) ?? 0) / 100}`).join(', ')}); they must not exceed 100`,
    );
    return sink.resultSince(mark, []);
  }
  const unannotatedCount = annotated.filter((bp) => bp === undefined).length;
  if (unannotatedCount === 0) {
    if (annotatedSum === 0) {
      sink.error(
        fieldOf(named[0] ?? ''),
        `every backend of ${group.label} is annotated with weight 0, so no traffic could be served; give at least one a weight above 0`,
      );
      return sink.resultSince(mark, []);
    }
    // Every version is annotated: the numbers are relative (30/30 means half each).
    return ok(normaliseRelative(annotated.map((bp) => bp ?? 0)));
  }
  const shares = shareEqually(TOTAL_BASIS_POINTS - annotatedSum, unannotatedCount);
  let next = 0;
  return ok(annotated.map((bp) => bp ?? shares[next++]!));
}

/** The dialect: it weighs the paths where one of the backends' Services is annotated. */
export const aliyunDialect: Dialect = {
  name: 'Alibaba Cloud blue-green (ingress.aliyun.weight/<service>)',
  keys: [],
  prefixes: [ALIYUN_WEIGHT_PREFIX],
  weights: (annotations) => ok(aliyunReading(annotations)),
};

// Read lazily: the percents are checked against the paths (prepare) only for a main Ingress.
function aliyunReading(annotations: Annotations): WeightReading {
  let percents = new Map<string, number>();
  const claim = (group: GroupView) => {
    const service = group.services.find((s) => annotations[ALIYUN_WEIGHT_PREFIX + s] !== undefined);
    return service === undefined ? undefined : annotationField(ALIYUN_WEIGHT_PREFIX + service);
  };
  return {
    source: `${ALIYUN_WEIGHT_PREFIX}* annotations`,
    prepare(groups, sink) {
      const read = aliyunPercents(annotations, groups, sink);
      if (read.ok) percents = read.value;
      return read.ok;
    },
    claim,
    weigh(group, sink) {
      const declared = weighGroup(group, percents, sink);
      const weightedBy = claim(group);
      return declared.ok ? ok({ declared: declared.value, rules: [], ...(weightedBy ? { weightedBy } : {}) }) : declared;
    },
  };
}
