// A map made of the last build's map and this build's changes on top, so that an incremental build of
// one Ingress does not copy the 50,000 accepted forms of a large cluster. Reads go through the layers;
// the layers are folded into one plain map every few builds, so a read never walks more than a few.
//
// The map below a layer must not change while the layer is in use: each build's map is replaced, not
// edited, by the next build, and only the newest map is ever edited (by a NACK's rollback).

/** Layers stacked before they are folded into one plain map. */
const MAX_DEPTH = 8;

export class LayeredMap<K, V> extends Map<K, V> {
  private readonly removed = new Set<K>();
  private count: number;
  private readonly below: ReadonlyMap<K, V>;
  readonly depth: number;

  /** A layer over `below`, or `below` copied when that would stack too many layers. */
  constructor(below: ReadonlyMap<K, V>) {
    super();
    const depth = below instanceof LayeredMap ? below.depth + 1 : 1;
    this.below = depth > MAX_DEPTH ? new Map(below) : below;
    this.depth = depth > MAX_DEPTH ? 1 : depth;
    this.count = below.size;
  }

  override get size(): number {
    return this.count;
  }

  override get(key: K): V | undefined {
    if (super.has(key)) return super.get(key);
    return this.removed.has(key) ? undefined : this.below.get(key);
  }

  override has(key: K): boolean {
    return super.has(key) || (!this.removed.has(key) && this.below.has(key));
  }

  override set(key: K, value: V): this {
    if (!this.has(key)) this.count++;
    this.removed.delete(key);
    super.set(key, value);
    return this;
  }

  override delete(key: K): boolean {
    if (!this.has(key)) return false;
    this.count--;
    super.delete(key);
    if (this.below.has(key)) this.removed.add(key);
    return true;
  }

  override clear(): void {
    super.clear();
    for (const key of this.below.keys()) this.removed.add(key);
    this.count = 0;
  }

  override *entries(): MapIterator<[K, V]> {
    for (const entry of this.below) if (!this.removed.has(entry[0]) && !super.has(entry[0])) yield entry;
    yield* super.entries();
  }

  override *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  override *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }
}
