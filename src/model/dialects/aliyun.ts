// The blue-green example's dialect (Alibaba Cloud ACK blue-green): `ingress.aliyun.weight/<service>: "<percent>"`.
// Annotated versions get their percent; unannotated versions share what is left equally. When every
// version of a group is annotated the numbers are relative weights.

import { annotationField, type DiagnosticSink } from '../../objects/diagnostics.js';
import type { Annotations, Dialect, GroupView, WeightReading } from './dialect.js';
import { ok, reason } from '../../objects/result.js';
import { TOTAL_BASIS_POINTS } from '../types.js';
import { normaliseRelative, parsePercent, shareEqually } from '../weights.js';

export const ALIYUN_WEIGHT_PREFIX = 'ingress.aliyun.weight/';

/** The backends of one split group, by service name in manifest order. */
export type GroupBackends = GroupView;

/**
 * Declared basis points for every version of every group, in the order given.
 * Returns null when any annotation is in error; the errors are in `sink`.
 */
export function aliyunWeights(annotations: Record<string, string>, groups: readonly GroupBackends[], sink: DiagnosticSink): number[][] | null {
  const percents = aliyunPercents(annotations, groups, sink);
  if (!percents) return null;
  let failed = false;
  const result: number[][] = [];
  for (const group of groups) {
    const weights = weighGroup(group, percents, sink);
    if (weights === null) failed = true;
    else result.push(weights);
  }
  return failed ? null : result;
}

/** The percent of every annotated Service that is a backend of one of `groups`; null on error. */
function aliyunPercents(annotations: Annotations, groups: readonly GroupBackends[], sink: DiagnosticSink): Map<string, number> | null {
  const percents = new Map<string, number>();
  let failed = false;
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(ALIYUN_WEIGHT_PREFIX)) continue;
    const service = key.slice(ALIYUN_WEIGHT_PREFIX.length);
    if (service === '') {
      sink.error(annotationField(key), `names no service: write ${ALIYUN_WEIGHT_PREFIX}<service-name>`);
      failed = true;
      continue;
    }
    const parsed = parsePercent(String(value));
    if (!parsed.ok) {
      sink.error(annotationField(key), reason(parsed));
      failed = true;
      continue;
    }
    if (!groups.some((g) => g.services.includes(service))) {
      sink.warning(annotationField(key), `service ${JSON.stringify(service)} is not a backend of any path of this Ingress; the annotation is ignored`);
      continue;
    }
    percents.set(service, parsed.value);
  }
  return failed ? null : percents;
}

function weighGroup(group: GroupBackends, percents: ReadonlyMap<string, number>, sink: DiagnosticSink): number[] | null {
  const annotated = group.services.map((s) => percents.get(s));
  const annotatedSum = annotated.reduce<number>((sum, bp) => sum + (bp ?? 0), 0);
  const fieldOf = (service: string) => annotationField(ALIYUN_WEIGHT_PREFIX + service);
  const named = [...new Set(group.services.filter((s) => percents.has(s)))];

  if (annotatedSum > TOTAL_BASIS_POINTS) {
    sink.error(
      fieldOf(named.at(-1) ?? ''),
      `weights for ${group.label} add up to ${annotatedSum / 100} percent (${named.map((s) => `${s}=${(percents.get(s) ?? 0) / 100}`).join(', ')}); they must not exceed 100`,
    );
    return null;
  }
  const unannotatedCount = annotated.filter((bp) => bp === undefined).length;
  if (unannotatedCount === 0) {
    if (annotatedSum === 0) {
      sink.error(
        fieldOf(named[0] ?? ''),
        `every backend of ${group.label} is annotated with weight 0, so no traffic could be served; give at least one a weight above 0`,
      );
      return null;
    }
    // Every version is annotated: the numbers are relative (30/30 means half each).
    return normaliseRelative(annotated.map((bp) => bp ?? 0));
  }
  const shares = shareEqually(TOTAL_BASIS_POINTS - annotatedSum, unannotatedCount);
  let next = 0;
  return annotated.map((bp) => bp ?? shares[next++]!);
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
      if (read) percents = read;
      return read !== null;
    },
    claim,
    weigh(group, sink) {
      const mark = sink.mark();
      const declared = weighGroup(group, percents, sink);
      const weightedBy = claim(group);
      return sink.resultSince(mark, { declared: declared ?? [], rules: [], ...(weightedBy ? { weightedBy } : {}) });
    },
  };
}
