// Alibaba Cloud ACK's ingress-nginx dialect, written on the Ingress that lists every version:
//   nginx.ingress.kubernetes.io/service-weight: "new-nginx: 20, old-nginx: 60"
//     relative non-negative integer weights; versions not named weigh 100.
//   nginx.ingress.kubernetes.io/service-match: 'new-nginx: header("x-ver", /^v2$/)'
//     requests meeting the condition go to the named version; the others are split over the rest.
// One `service: condition` per line; conditions are header(…), cookie(…) or query(…), with an exact
// "value" or a /regex/ (RE2, searched in the value as nginx does).

import { COOKIE_NAME, HEADER_NAME, SERVICE_MATCH, SERVICE_WEIGHT } from '../annotations.js';
import { annotationField, type DiagnosticSink } from '../../objects/diagnostics.js';
import { checkPattern, cookieHeaderRegex, exactCookieRegex } from '../regex.js';
import type { Condition } from '../types.js';
import { normaliseRelative } from '../weights.js';

/** Upper bound of one weight, so relative weights stay exact in floating point. */
const MAX_WEIGHT = 1_000_000;
/** ACK's weight for a version that service-weight does not name. */
export const UNNAMED_SERVICE_WEIGHT = 100;

const SERVICE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `service-weight` → weight by service; null on error (reported in `sink`). */
export function parseServiceWeight(text: string, sink: DiagnosticSink): Map<string, number> | null {
  const field = annotationField(SERVICE_WEIGHT);
  const weights = new Map<string, number>();
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    sink.error(field, 'is empty: write "<service>: <weight>, …", e.g. "new-nginx: 20, old-nginx: 80"');
    return null;
  }
  for (const entry of entries) {
    const m = /^([^:\s]+)\s*:\s*(\S+)$/.exec(entry);
    if (!m) {
      sink.error(field, `${JSON.stringify(entry)} is not "<service>: <weight>", e.g. "new-nginx: 20"`);
      return null;
    }
    // Both groups take part in every match of the pattern.
    const [, service = '', weightText = ''] = m;
    if (!SERVICE.test(service)) {
      sink.error(field, `${JSON.stringify(service)} is not a Service name`);
      return null;
    }
    if (!/^\d+$/.test(weightText) || Number(weightText) > MAX_WEIGHT) {
      sink.error(field, `weight ${JSON.stringify(weightText)} of ${service} is not a whole number from 0 to ${MAX_WEIGHT}`);
      return null;
    }
    if (weights.has(service)) {
      sink.error(field, `names ${service} twice; give each service one weight`);
      return null;
    }
    weights.set(service, Number(weightText));
  }
  return weights;
}

export interface ServiceMatch {
  service: string;
  condition: Condition;
  /** The rule as written, for messages and route names. */
  text: string;
}

const RULE = /^([^:\s]+)\s*:\s*(header|cookie|query)\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*(?:"((?:[^"\\]|\\.)*)"|\/(.*)\/)\s*\)$/;

/** `service-match` → one condition per service; null on error (reported in `sink`). */
export function parseServiceMatch(text: string, sink: DiagnosticSink): ServiceMatch[] | null {
  const field = annotationField(SERVICE_MATCH);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) {
    sink.error(field, 'is empty: write "<service>: header(\\"<name>\\", \\"<value>\\")", or cookie(…) or query(…), with "value" or /regex/');
    return null;
  }
  const out: ServiceMatch[] = [];
  for (const line of lines) {
    const m = RULE.exec(line);
    if (!m) {
      sink.error(
        field,
        `${JSON.stringify(line)} is not a match rule: write e.g. new-nginx: header("x-ver", /^v2$/) or new-nginx: cookie("canary", "yes") or new-nginx: query("ver", "2")`,
      );
      return null;
    }
    // Service, kind and name take part in every match; exactly one of the value groups does.
    const [, service = '', kind, rawName = '', exactText, pattern = ''] = m;
    const name = unescape(rawName);
    if (!SERVICE.test(service)) {
      sink.error(field, `${JSON.stringify(service)} is not a Service name`);
      return null;
    }
    if (out.some((r) => r.service === service)) {
      sink.error(field, `has two rules for ${service}; one rule per service`);
      return null;
    }
    const condition = matchCondition(kind as 'header' | 'cookie' | 'query', name, exactText === undefined ? { pattern } : { exact: unescape(exactText) });
    if ('error' in condition) {
      sink.error(field, `rule for ${service}: ${condition.error}`);
      return null;
    }
    out.push({ service, condition, text: line });
  }
  return out;
}

/** A header, cookie or query condition with an exact value or a searched RE2 pattern. */
export function matchCondition(
  kind: 'header' | 'cookie' | 'query',
  name: string,
  value: { exact: string } | { pattern: string },
): Condition | { error: string } {
  if (name === '') return { error: `the ${kind} name is empty` };
  if (kind === 'header' && !HEADER_NAME.test(name)) return { error: `${JSON.stringify(name)} is not a header name` };
  if (kind === 'cookie' && !COOKIE_NAME.test(name)) return { error: `${JSON.stringify(name)} is not a cookie name` };
  if (kind === 'query' && /[&=#\s]/.test(name)) return { error: `${JSON.stringify(name)} is not a query parameter name` };
  if (kind === 'cookie') {
    if ('exact' in value) {
      if (/[;\s",\\]/.test(value.exact)) return { error: `${JSON.stringify(value.exact)} cannot be a cookie value (no ; , " \\ or white space)` };
      const checked = exactCookieRegex(name, value.exact);
      return 'error' in checked ? checked : { kind: 'header', name: 'cookie', regex: checked.regex };
    }
    const checked = cookiePattern(name, value.pattern);
    return 'error' in checked ? checked : { kind: 'header', name: 'cookie', regex: checked.regex };
  }
  const envoyName = kind === 'header' ? name.toLowerCase() : name;
  if ('exact' in value) return { kind, name: envoyName, exact: value.exact };
  const checked = checkPattern(value.pattern);
  return 'error' in checked ? checked : { kind, name: envoyName, regex: checked.regex };
}

// A cookie pattern is searched in the cookie's value, which sits inside the `cookie` header: `^` and `$`
// become the ends of the value, and an unanchored side may have other characters of the value.
function cookiePattern(name: string, pattern: string): { regex: string } | { error: string } {
  let core = pattern;
  const start = core.startsWith('^');
  if (start) core = core.slice(1);
  const end = /(^|[^\\])(\\\\)*\$$/.test(core);
  if (end) core = core.slice(0, -1);
  if (/(^|[^\\])(\\\\)*[$^]/.test(core.replace(/\[[^\]]*\]/g, ''))) {
    return { error: `cookie pattern ${JSON.stringify(pattern)} may use ^ and $ only at its start and end` };
  }
  return checkPattern(core === '' ? '(?:)' : core, (source) => cookieHeaderRegex(name, `${start ? '' : '[^;]*'}(?:${source})${end ? '' : '[^;]*'}`));
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/**
 * Declared basis points of one group under ACK's dialect: named versions weigh what service-weight
 * says, the others 100; versions reached through service-match take no part in the weighted split.
 * Null on error (reported in `sink`).
 */
export function ackGroupWeights(
  weights: ReadonlyMap<string, number> | undefined,
  matched: ReadonlySet<string>,
  services: readonly string[],
  label: string,
  sink: DiagnosticSink,
): number[] | null {
  const relative = services.map((s) => (matched.has(s) ? 0 : (weights?.get(s) ?? UNNAMED_SERVICE_WEIGHT)));
  if (relative.every((w) => w === 0)) {
    const everyMatched = services.every((s) => matched.has(s));
    sink.error(
      annotationField(everyMatched ? SERVICE_MATCH : SERVICE_WEIGHT),
      everyMatched
        ? `every backend of ${label} has a match rule, so requests that match none would have nowhere to go; leave one backend without a rule`
        : `every backend of ${label} that requests can reach without a match rule weighs 0; give one a weight above 0`,
    );
    return null;
  }
  return normaliseRelative(relative);
}
