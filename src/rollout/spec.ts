// The rollout annotation: `splitplane.io/rollout: "new-nginx; steps=5,25,50,100; interval=30s;
// min-success=99%; max-p99=500ms; min-requests=100"`. The first item names the version that grows;
// the rest say how. Pure: text in, a spec or the messages saying what to write instead out.

import { failureOf, ok, type Result } from '../objects/result.js';
import { parsePercent } from '../model/weights.js';

export interface RolloutSpec {
  /** The Service that grows (a backend of the group). */
  version: string;
  /** Weights of the version at each step, in basis points, increasing; the last is where it ends. */
  steps: number[];
  /** How long each step is held, with its checks passing, before the next (ms). */
  intervalMs: number;
  /** The checks look at this much of the latest traffic (ms): the interval, at most five minutes. */
  windowMs: number;
  /** Lowest success rate the version may have, 0..1. */
  minSuccess: number;
  /** How far below the stable versions' success rate the version may be, 0..1; undefined: not checked. */
  maxSuccessDrop?: number;
  /** Highest p99 latency (ms); undefined: not checked. */
  maxP99Ms?: number;
  /** Requests the version must have had in the window before a check counts. */
  minRequests: number;
  /** Failed checks in a row that abort the rollout. */
  threshold: number;
  /** The text it was read from: a new text is a new rollout. */
  text: string;
}

export const DEFAULTS = {
  steps: [500, 2500, 5000, 10000],
  intervalMs: 60_000,
  minSuccess: 0.99,
  minRequests: 50,
  threshold: 2,
};

/** The longest window the checks look at: traffic older than this says little about the step. */
export const MAX_WINDOW_MS = 300_000;
/** Longest interval accepted: a day per step. */
const MAX_INTERVAL_MS = 86_400_000;

const KEYS = ['steps', 'interval', 'window', 'min-success', 'max-success-drop', 'max-p99', 'min-requests', 'threshold'] as const;
type Key = (typeof KEYS)[number];

const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** "30s", "2m", "500ms", "1h" → milliseconds. */
export function parseDuration(text: string): Result<number> {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) return failureOf([`${JSON.stringify(text)} is not a duration: write a whole number with ms, s, m or h, e.g. "30s" or "2m"`]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return ok(Number(match[1]) * unit);
}

function parseRate(text: string): Result<number> {
  const bare = text.trim().replace(/%$/, '');
  const percent = parsePercent(bare);
  return percent.ok ? ok(percent.value / 10000) : failureOf([`${JSON.stringify(text)} is not a percentage: write e.g. "99%" or "99.5%"`]);
}

function parseWhole(text: string, min: number, max: number): Result<number> {
  const t = text.trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < min || Number(t) > max) return failureOf([`${JSON.stringify(text)} is not a whole number from ${min} to ${max}`]);
  return ok(Number(t));
}

function parseSteps(text: string): Result<number[]> {
  const items = text.split(',').map((s) => s.trim());
  const steps: number[] = [];
  for (const item of items) {
    const p = parsePercent(item.replace(/%$/, ''));
    if (!p.ok) return failureOf([`step ${JSON.stringify(item)}: ${p.diagnostics.join('; ')}`]);
    if (p.value === 0) return failureOf([`step ${JSON.stringify(item)} is 0: every step gives the version some traffic`]);
    const last = steps[steps.length - 1];
    if (last !== undefined && p.value <= last) return failureOf([`steps must increase: ${item} follows ${last / 100}`]);
    steps.push(p.value);
  }
  if (steps.length > 100) return failureOf([`${steps.length} steps are more than the 100 a rollout may have`]);
  return ok(steps);
}

/** Reads the annotation's text; the messages name the item at fault. */
export function parseRolloutSpec(text: string): Result<RolloutSpec> {
  const parts = text.split(';').map((p) => p.trim());
  if (parts[parts.length - 1] === '') parts.pop();
  const version = parts[0] ?? '';
  const problems: string[] = [];
  if (!SERVICE_NAME.test(version) || version.length > 63)
    problems.push(`the first item, ${JSON.stringify(version)}, must name the Service that grows (e.g. "new-nginx; steps=5,25,50,100")`);
  const given = new Map<Key, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (eq < 0 || !(KEYS as readonly string[]).includes(key)) {
      problems.push(`${JSON.stringify(part)} is not one of ${KEYS.map((k) => `${k}=`).join(', ')}`);
      continue;
    }
    if (given.has(key as Key)) problems.push(`${key} is given twice`);
    given.set(key as Key, part.slice(eq + 1).trim());
  }
  const spec: RolloutSpec = { version, ...DEFAULTS, windowMs: 0, text: text.trim() };
  const read = <T>(key: Key, parse: (s: string) => Result<T>, set: (v: T) => void) => {
    const value = given.get(key);
    if (value === undefined) return;
    const r = parse(value);
    if (r.ok) set(r.value);
    else problems.push(`${key}: ${r.diagnostics.join('; ')}`);
  };
  read('steps', parseSteps, (v) => (spec.steps = v));
  read('interval', parseDuration, (v) => (spec.intervalMs = v));
  read('window', parseDuration, (v) => (spec.windowMs = v));
  read('min-success', parseRate, (v) => (spec.minSuccess = v));
  read('max-success-drop', parseRate, (v) => (spec.maxSuccessDrop = v));
  read('max-p99', parseDuration, (v) => (spec.maxP99Ms = v));
  read(
    'min-requests',
    (s) => parseWhole(s, 1, 1_000_000_000),
    (v) => (spec.minRequests = v),
  );
  read(
    'threshold',
    (s) => parseWhole(s, 1, 100),
    (v) => (spec.threshold = v),
  );
  if (spec.intervalMs < 1000 || spec.intervalMs > MAX_INTERVAL_MS) problems.push(`interval: ${spec.intervalMs} ms is outside 1s to 24h`);
  if (spec.windowMs === 0) spec.windowMs = Math.min(spec.intervalMs, MAX_WINDOW_MS);
  else if (spec.windowMs > MAX_WINDOW_MS || spec.windowMs < 1000) problems.push(`window: ${spec.windowMs} ms is outside 1s to 5m`);
  if (problems.length > 0) return failureOf(problems);
  return ok(spec);
}

/** A spec in words, for status and the dashboard: "new-nginx in steps 5% 25% 50% 100%, 30s each". */
export function specText(spec: RolloutSpec): string {
  const checks = [`success ≥ ${spec.minSuccess * 100}%`];
  if (spec.maxSuccessDrop !== undefined) checks.push(`at most ${spec.maxSuccessDrop * 100} points below stable`);
  if (spec.maxP99Ms !== undefined) checks.push(`p99 ≤ ${spec.maxP99Ms} ms`);
  return `${spec.version} in steps ${spec.steps.map((s) => `${s / 100}%`).join(' ')}, ${spec.intervalMs / 1000}s each; checks: ${checks.join(', ')} over ${spec.minRequests}+ requests, ${spec.threshold} failure(s) abort`;
}
