// Weight arithmetic shared by every dialect: everything ends as integer basis points summing to 10000,
// because Envoy's weighted_clusters wants integers and a fixed total keeps the debug output readable
// ("Split semantics" in docs/design.md).

import { TOTAL_BASIS_POINTS } from './types.js';
import { failure, ok, type Result } from '../objects/result.js';

/**
 * Scales non-negative relative weights to integers summing to `total` (largest remainder method).
 * Ties in the remainder go to the earlier entry, so the result is deterministic in manifest order.
 * All-zero input returns all zeros: the caller decides whether that is an error.
 */
export function normaliseRelative(weights: readonly number[], total = TOTAL_BASIS_POINTS): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w * total) / sum);
  const result = exact.map((x) => Math.floor(x));
  let left = total - result.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .filter(({ i }) => weights[i]! > 0)
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0 && byRemainder.length > 0; k = (k + 1) % byRemainder.length, left--) {
    result[byRemainder[k]!.i]! += 1;
  }
  return result;
}

/** Splits `amount` equally over `count` shares; the leftover goes to the first share. */
export function shareEqually(amount: number, count: number): number[] {
  if (count === 0) return [];
  const each = Math.floor(amount / count);
  const shares = new Array<number>(count).fill(each);
  shares[0]! += amount - each * count;
  return shares;
}

/**
 * Parses a percentage with at most two decimals ("50", "12.5", "0.25") into basis points.
 * Returns an error message instead of throwing, so the caller can attach it to the right field.
 */
/** A percentage as written in an annotation → basis points. */
export function parsePercent(text: string): Result<number> {
  const trimmed = text.trim();
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(trimmed);
  if (!match) {
    return failure(`${JSON.stringify(text)} is not a percentage: write a number from 0 to 100 with at most two decimals, e.g. "50" or "12.5"`);
  }
  const basisPoints = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (basisPoints > TOTAL_BASIS_POINTS) {
    return failure(`${trimmed} is more than 100 percent`);
  }
  return ok(basisPoints);
}

export type ReadinessOutcome = 'all-ready' | 'redistributed' | 'ready-had-no-weight' | 'none-ready';

/**
 * Moves the weight of versions that are not ready onto the ready ones, in proportion to their weights.
 * When the ready versions were all declared at 0 (e.g. new=100 and new is down), they share equally:
 * sending traffic to a running version beats answering 503 to everybody. When nothing is ready the
 * declared weights stay, and Envoy answers 503 as it would for any dead upstream.
 */
export function applyReadiness(declared: readonly number[], ready: readonly boolean[]): { basisPoints: number[]; outcome: ReadinessOutcome } {
  if (ready.every(Boolean)) return { basisPoints: [...declared], outcome: 'all-ready' };
  if (!ready.some(Boolean)) return { basisPoints: [...declared], outcome: 'none-ready' };
  const readyWeights = declared.map((w, i) => (ready[i] ? w : 0));
  if (readyWeights.some((w) => w > 0)) {
    return { basisPoints: normaliseRelative(readyWeights), outcome: 'redistributed' };
  }
  return { basisPoints: normaliseRelative(ready.map((r) => (r ? 1 : 0))), outcome: 'ready-had-no-weight' };
}
