// Reading protobuf counters from clients we do not trust (load reports, stat flushes).

import type protobuf from 'protobufjs';

/**
 * A uint64 counter as a number. A hostile client may send 2^64-1: past 2^53 it is clamped, since such a
 * count is a lie whatever its value, and each client's share of a window is bounded anyway (pool.ts).
 */
export function readCount(reader: protobuf.Reader): number {
  const value = reader.uint64() as unknown as { low: number; high: number } | number;
  // protobufjs gives a Long or a { low, high } pair: the value is high * 2^32 + low (unsigned).
  const n = typeof value === 'number' ? value : (value.high >>> 0) * 4294967296 + (value.low >>> 0);
  return n < 0 || !Number.isFinite(n) ? Number.MAX_SAFE_INTEGER : Math.min(n, Number.MAX_SAFE_INTEGER);
}
