// ingress-nginx canary annotations, on a second Ingress for the same host and path:
//   canary: "true"                  this Ingress adds its backend to the main Ingress's path
//   canary-weight / -weight-total   share of requests, out of the total (default 100)
//   canary-by-header (+ -value | -pattern), canary-by-cookie
// Header and cookie values "always" / "never" force the choice; other values fall through to the next
// rule (header, then cookie, then weight), as in ingress-nginx.

import {
  CANARY,
  CANARY_BY_COOKIE,
  CANARY_BY_HEADER,
  CANARY_BY_HEADER_PATTERN,
  CANARY_BY_HEADER_VALUE,
  CANARY_SETTINGS,
  CANARY_WEIGHT,
  CANARY_WEIGHT_TOTAL,
} from '../annotations.js';
import { annotationField, type Diagnostic, type DiagnosticSink } from '../../objects/diagnostics.js';
import type { Condition } from '../types.js';
import { COOKIE_NAME, HEADER_NAME, matchCondition } from '../conditions.js';
import type { Dialect } from './dialect.js';
import { ok, reason, type Result } from '../../objects/result.js';

export const DEFAULT_CANARY_WEIGHT_TOTAL = 100;
const MAX_TOTAL = 1_000_000;

/** A condition and whether it sends matching requests to the canary or keeps them off it. */
export interface CanaryRule {
  condition: Condition;
  to: 'canary' | 'main';
  /** e.g. `canary-by-header x-canary=always`. */
  reason: string;
}

export interface CanaryConfig {
  /** Share of requests out of `total`; undefined when canary-weight is not set. */
  weight?: number;
  total: number;
  headerRules: CanaryRule[];
  cookieRules: CanaryRule[];
}

/** Reads the canary annotations: undefined for an Ingress that is not a canary. */
export function parseCanary(annotations: Readonly<Record<string, string>>, sink: DiagnosticSink): Result<CanaryConfig | undefined, Diagnostic> {
  const mark = sink.mark();
  const flag = annotations[CANARY];
  const present = CANARY_SETTINGS.filter((k) => annotations[k] !== undefined);
  if (flag !== undefined && flag !== 'true' && flag !== 'false') {
    sink.error(annotationField(CANARY), `${JSON.stringify(flag)} is not "true" or "false"`);
    return sink.resultSince(mark, undefined);
  }
  if (flag !== 'true') {
    for (const key of present)
      sink.error(annotationField(key), `has no effect without ${CANARY}: "true"; add it to make this Ingress a canary, or remove this annotation`);
    return sink.resultSince(mark, undefined);
  }
  let failed = false;
  const fail = (key: string, message: string) => {
    sink.error(annotationField(key), message);
    failed = true;
  };

  let total = DEFAULT_CANARY_WEIGHT_TOTAL;
  const totalText = annotations[CANARY_WEIGHT_TOTAL];
  if (totalText !== undefined) {
    if (!/^\d+$/.test(totalText.trim()) || Number(totalText) < 1 || Number(totalText) > MAX_TOTAL)
      fail(CANARY_WEIGHT_TOTAL, `${JSON.stringify(totalText)} is not a whole number from 1 to ${MAX_TOTAL}`);
    else total = Number(totalText);
  }
  let weight: number | undefined;
  const weightText = annotations[CANARY_WEIGHT];
  if (weightText !== undefined) {
    if (!/^\d+$/.test(weightText.trim()))
      fail(CANARY_WEIGHT, `${JSON.stringify(weightText)} is not a whole number from 0 to ${total} (the canary-weight-total)`);
    else if (Number(weightText) > total) fail(CANARY_WEIGHT, `${weightText} is more than the canary-weight-total, ${total}`);
    else weight = Number(weightText);
  }

  const headerRules: CanaryRule[] = [];
  const header = annotations[CANARY_BY_HEADER];
  const value = annotations[CANARY_BY_HEADER_VALUE];
  const pattern = annotations[CANARY_BY_HEADER_PATTERN];
  if (header === undefined) {
    if (value !== undefined) fail(CANARY_BY_HEADER_VALUE, `needs ${CANARY_BY_HEADER} to name the header`);
    if (pattern !== undefined) fail(CANARY_BY_HEADER_PATTERN, `needs ${CANARY_BY_HEADER} to name the header`);
  } else if (!HEADER_NAME.test(header)) {
    fail(CANARY_BY_HEADER, `${JSON.stringify(header)} is not a header name`);
  } else if (value !== undefined) {
    if (value === '') fail(CANARY_BY_HEADER_VALUE, 'is empty: give the header value that selects the canary');
    else headerRules.push(rule(matchCondition('header', header, { exact: value }), 'canary', `canary-by-header ${header}=${value}`));
    // ingress-nginx ignores the pattern when a value is given; say so rather than leave it a mystery.
    if (pattern !== undefined)
      sink.warning(annotationField(CANARY_BY_HEADER_PATTERN), `is ignored because ${CANARY_BY_HEADER_VALUE} is set, as in ingress-nginx`);
  } else if (pattern !== undefined) {
    const condition = matchCondition('header', header, { pattern });
    if (!condition.ok) fail(CANARY_BY_HEADER_PATTERN, reason(condition));
    else headerRules.push({ condition: condition.value, to: 'canary', reason: `canary-by-header ${header}~${pattern}` });
  } else {
    headerRules.push(rule(matchCondition('header', header, { exact: 'always' }), 'canary', `canary-by-header ${header}=always`));
    headerRules.push(rule(matchCondition('header', header, { exact: 'never' }), 'main', `canary-by-header ${header}=never`));
  }

  const cookieRules: CanaryRule[] = [];
  const cookie = annotations[CANARY_BY_COOKIE];
  if (cookie !== undefined) {
    if (!COOKIE_NAME.test(cookie)) fail(CANARY_BY_COOKIE, `${JSON.stringify(cookie)} is not a cookie name`);
    else {
      // A cookie is matched by regex, and a name too long for Envoy's regex limit is refused here.
      const always = matchCondition('cookie', cookie, { exact: 'always' });
      if (!always.ok) fail(CANARY_BY_COOKIE, reason(always));
      else {
        cookieRules.push({ condition: always.value, to: 'canary', reason: `canary-by-cookie ${cookie}=always` });
        cookieRules.push(rule(matchCondition('cookie', cookie, { exact: 'never' }), 'main', `canary-by-cookie ${cookie}=never`));
      }
    }
  }
  if (failed) return sink.resultSince(mark, undefined);
  if (weight === undefined && headerRules.length === 0 && cookieRules.length === 0) {
    sink.warning(annotationField(CANARY), `this canary has no ${CANARY_WEIGHT}, ${CANARY_BY_HEADER} or ${CANARY_BY_COOKIE}, so it receives no traffic`);
  }
  const config: CanaryConfig = { total, headerRules, cookieRules };
  if (weight !== undefined) config.weight = weight;
  return ok(config);
}

function rule(condition: Result<Condition>, to: CanaryRule['to'], why: string): CanaryRule {
  // Names and values were checked above, so an error here is a bug of ours.
  if (!condition.ok) throw new Error(`canary rule ${why}: ${reason(condition)}`);
  return { condition: condition.value, to, reason: why };
}

/** The dialect: ingress-nginx's canary Ingresses, which lend their backends to the main Ingress's paths. */
export const canaryDialect: Dialect = {
  name: 'ingress-nginx canary',
  keys: [CANARY, ...CANARY_SETTINGS],
  settings(annotations, sink) {
    const canary = parseCanary(annotations, sink);
    return canary.ok ? ok(canary.value ? { canary: canary.value } : {}) : canary;
  },
};
