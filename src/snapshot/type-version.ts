// A type's version, kept up to date place by place. The version hashes every resource's name and
// version in name order, so equal content has an equal version on every replica and after a restart.
// It is hashed in chunks of a fixed number of resources, then the chunks' digests together: when a
// change replaces resources in place (the same names at the same places), only their chunks are hashed
// again, not the 20,000 names of a large cluster's type.

import { hash } from 'node:crypto';

/** Resources per chunk: a chunk of 64 is ~2 KB of names and versions, a few microseconds to hash. */
export const CHUNK = 64;

/** What a chunk is made of per item: text (names and versions, joined by NUL), or bytes (concatenated). */
export type ChunkPart<T> = ((item: T) => string) | ((item: T) => Uint8Array);

/** The digest of chunk `index` of `items`. */
export function chunkDigest<T>(items: readonly T[], index: number, part: ChunkPart<T>): Buffer {
  const parts: Array<string | Uint8Array> = [];
  const end = Math.min(items.length, (index + 1) * CHUNK);
  for (let i = index * CHUNK; i < end; i++) parts.push(part(items[i]!));
  const whole = typeof parts[0] === 'string' ? (parts as string[]).join('\u0000') : Buffer.concat(parts as Uint8Array[]);
  return hash('sha256', whole, 'buffer');
}

/** Every chunk's digest. */
export function chunkDigests<T>(items: readonly T[], part: ChunkPart<T>): Buffer[] {
  const out: Buffer[] = [];
  for (let c = 0; c * CHUNK < items.length; c++) out.push(chunkDigest(items, c, part));
  return out;
}

/** `chunks` with those holding the places `at` hashed again from `items` (the same length as before). */
export function rehashChunks<T>(chunks: readonly Buffer[], items: readonly T[], at: Iterable<number>, part: ChunkPart<T>): Buffer[] {
  const out = chunks.slice();
  const done = new Set<number>();
  for (const i of at) {
    const c = Math.floor(i / CHUNK);
    if (done.has(c)) continue;
    done.add(c);
    out[c] = chunkDigest(items, c, part);
  }
  return out;
}

/** The version of a list from its chunks' digests (and what comes before them, e.g. a message's other fields). */
export function versionOf(chunks: readonly Uint8Array[], head?: Uint8Array): string {
  return hash('sha256', Buffer.concat(head ? [head, ...chunks] : chunks), 'hex').slice(0, 16);
}
