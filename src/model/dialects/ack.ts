// Alibaba Cloud ACK's ingress-nginx dialect, written on the Ingress that lists every version:
//   nginx.ingress.kubernetes.io/service-weight: "new-nginx: 20, old-nginx: 60"
//     relative non-negative integer weights; versions not named weigh 100.
//   nginx.ingress.kubernetes.io/service-match: 'new-nginx: header("x-ver", /^v2$/)'
//     requests meeting the condition go to the named version; the others are split over the rest.
// One `service: condition` per line; conditions are header(…), cookie(…) or query(…), with an exact
// "value" or a /regex/ (RE2, searched in the value as nginx does).

import { SERVICE_MATCH, SERVICE_WEIGHT } from '../annotations.js';
import { annotationField, type Diagnostic, type DiagnosticSink } from '../../objects/diagnostics.js';
import { matchCondition } from '../conditions.js';
import type { Annotations, Dialect, WeightReading } from './dialect.js';
import { ok, reason, type Result } from '../../objects/result.js';
import type { Condition } from '../types.js';
import { normaliseRelative } from '../weights.js';

/** Upper bound of one weight, so relative weights stay exact in floating point. */
const MAX_WEIGHT = 1_000_000;
/** ACK's weight for a version that service-weight does not name. */
export const UNNAMED_SERVICE_WEIGHT = 100;

const SERVICE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `service-weight` → weight by service. */
export function parseServiceWeight(text: string, sink: DiagnosticSink): Result<Map<string, number>, Diagnostic> {
  const mark = sink.mark();
  const field = annotationField(SERVICE_WEIGHT);
  const weights = new Map<string, number>();
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    sink.error(field, 'is empty: write "<service>: <weight>, …", e.g. "new-nginx: 20, old-nginx: 80"');
    return sink.resultSince(mark, weights);
  }
  for (const entry of entries) {
    const m = /^([^:\s]+)\s*:\s*(\S+)$/.exec(entry);
    if (!m) {
      sink.error(field, `${JSON.stringify(entry)} is not "<service>: <weight>", e.g. "new-nginx: 20"`);
      return sink.resultSince(mark, weights);
    }
    // Both groups take part in every match of the pattern.
    const [, service = '', weightText = ''] = m;
    if (!SERVICE.test(service)) {
      sink.error(field, `${JSON.stringify(service)} is not a Service name`);
      return sink.resultSince(mark, weights);
    }
    if (!/^\d+$/.test(weightText) || Number(weightText) > MAX_WEIGHT) {
      sink.error(field, `weight ${JSON.stringify(weightText)} of ${service} is not a whole number from 0 to ${MAX_WEIGHT}`);
      return sink.resultSince(mark, weights);
    }
    if (weights.has(service)) {
      sink.error(field, `names ${service} twice; give each service one weight`);
      return sink.resultSince(mark, weights);
    }
    weights.set(service, Number(weightText));
  }
  return ok(weights);
}

export interface ServiceMatch {
  service: string;
  condition: Condition;
  /** The rule as written, for messages and route names. */
  text: string;
}

const RULE = /^([^:\s]+)\s*:\s*(header|cookie|query)\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*(?:"((?:[^"\\]|\\.)*)"|\/(.*)\/)\s*\)$/;

/** `service-match` → one condition per service. */
export function parseServiceMatch(text: string, sink: DiagnosticSink): Result<ServiceMatch[], Diagnostic> {
  const mark = sink.mark();
  const field = annotationField(SERVICE_MATCH);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) {
    sink.error(field, 'is empty: write "<service>: header(\\"<name>\\", \\"<value>\\")", or cookie(…) or query(…), with "value" or /regex/');
    return sink.resultSince(mark, []);
  }
  const out: ServiceMatch[] = [];
  for (const line of lines) {
    const m = RULE.exec(line);
    if (!m) {
      sink.error(
        field,
        `${JSON.stringify(line)} is not a match rule: write e.g. new-nginx: header("x-ver", /^v2$/) or new-nginx: cookie("canary", "yes") or new-nginx: query("ver", "2")`,
      );
      return sink.resultSince(mark, []);
    }
    // Service, kind and name take part in every match; exactly one of the value groups does.
    const [, service = '', kind, rawName = '', exactText, pattern = ''] = m;
    const name = unescape(rawName);
    if (!SERVICE.test(service)) {
      sink.error(field, `${JSON.stringify(service)} is not a Service name`);
      return sink.resultSince(mark, []);
    }
    if (out.some((r) => r.service === service)) {
      sink.error(field, `has two rules for ${service}; one rule per service`);
      return sink.resultSince(mark, []);
    }
    const condition = matchCondition(kind as 'header' | 'cookie' | 'query', name, exactText === undefined ? { pattern } : { exact: unescape(exactText) });
    if (!condition.ok) {
      sink.error(field, `rule for ${service}: ${reason(condition)}`);
      return sink.resultSince(mark, []);
    }
    out.push({ service, condition: condition.value, text: line });
    if (kind === 'query') {
      sink.info(
        field,
        `rule for ${service}: proxyless gRPC clients (xds:///HOST) never match a query(…) rule, since a gRPC request has no query string; they take the weighted split`,
      );
    }
  }
  return sink.resultSince(mark, out);
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/**
 * Declared basis points of one group under ACK's dialect: named versions weigh what service-weight
 * says, the others 100; versions reached through service-match take no part in the weighted split.
 */
export function ackGroupWeights(
  weights: ReadonlyMap<string, number> | undefined,
  matched: ReadonlySet<string>,
  services: readonly string[],
  label: string,
  sink: DiagnosticSink,
): Result<number[], Diagnostic> {
  const mark = sink.mark();
  const relative = services.map((s) => (matched.has(s) ? 0 : (weights?.get(s) ?? UNNAMED_SERVICE_WEIGHT)));
  if (relative.every((w) => w === 0)) {
    const everyMatched = services.every((s) => matched.has(s));
    sink.error(
      annotationField(everyMatched ? SERVICE_MATCH : SERVICE_WEIGHT),
      everyMatched
        ? `every backend of ${label} has a match rule, so requests that match none would have nowhere to go; leave one backend without a rule`
        : `every backend of ${label} that requests can reach without a match rule weighs 0; give one a weight above 0`,
    );
    return sink.resultSince(mark, []);
  }
  return ok(normaliseRelative(relative));
}

/** The dialect: service-weight and service-match on the Ingress that lists every backend. */
export const ackDialect: Dialect = {
  name: 'Alibaba Cloud ACK (service-weight, service-match)',
  keys: [SERVICE_WEIGHT, SERVICE_MATCH],
  weights(annotations: Annotations, sink: DiagnosticSink) {
    const mark = sink.mark();
    const weightText = annotations[SERVICE_WEIGHT];
    const matchText = annotations[SERVICE_MATCH];
    const weights = weightText === undefined ? undefined : parseServiceWeight(weightText, sink);
    const matches = matchText === undefined ? undefined : parseServiceMatch(matchText, sink);
    if (weights?.ok === false || matches?.ok === false) return sink.resultSince(mark, undefined);
    return ok(weights === undefined && matches === undefined ? undefined : ackReading(weights?.value, matches?.value ?? []));
  },
};

function ackReading(weights: ReadonlyMap<string, number> | undefined, matches: readonly ServiceMatch[]): WeightReading {
  const weighs = (services: readonly string[]) => services.some((s) => weights?.has(s));
  return {
    source: 'service-weight and service-match',
    prepare(groups, sink) {
      const services = new Set(groups.flatMap((g) => g.services));
      for (const name of weights?.keys() ?? []) {
        if (!services.has(name))
          sink.warning(annotationField(SERVICE_WEIGHT), `service ${JSON.stringify(name)} is not a backend of any path of this Ingress; its weight is ignored`);
      }
      for (const m of matches) {
        if (!services.has(m.service))
          sink.warning(
            annotationField(SERVICE_MATCH),
            `service ${JSON.stringify(m.service)} is not a backend of any path of this Ingress; its rule is ignored`,
          );
      }
      return true;
    },
    claim(group) {
      if (weighs(group.services)) return annotationField(SERVICE_WEIGHT);
      return matches.some((m) => group.services.includes(m.service)) ? annotationField(SERVICE_MATCH) : undefined;
    },
    weigh(group, sink) {
      const groupMatches = matches.filter((m) => group.services.includes(m.service));
      const declared = ackGroupWeights(weights, new Set(groupMatches.map((m) => m.service)), group.services, group.label, sink);
      if (!declared.ok) return declared;
      const rules = groupMatches.map((m) => ({ condition: m.condition, backend: group.services.indexOf(m.service), reason: `service-match ${m.text}` }));
      return ok({ declared: declared.value, rules, ...(weighs(group.services) ? { weightedBy: annotationField(SERVICE_WEIGHT) } : {}) });
    },
  };
}
