// A map made of the last build's map and this build's changes on top, so that an incremental build of
// one Ingress does not copy the 50,000 accepted forms of a large cluster. Reads go through the layers;
// the layers are folded into one plain map every few builds, so a read never walks more than a few,
// and iterating makes that plain map once (the layers applied in order on a native copy).
//
// The map below a layer must not change while the layer is in use: each build's map is replaced, not
// edited, by the next build, and only the newest map is ever edited (by a NACK's rollback).

/** Layers stacked before they are folded into one plain map. */
const MAX_DEPTH = 8;

/** The entries a layer holds itself (Map's own size; the class's `size` counts through the layers). */
const ownSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;

export class LayeredMap<K, V> extends Map<K, V> {
  private readonly removed = new Set<K>();
  private count: number;
  private readonly below: ReadonlyMap<K, V>;
  readonly depth: number;

  /** Everything this map holds as one plain map, made when first iterated (and again after a change). */
  private flat: Map<K, V> | undefined;

  /** A layer over `below`, or over `below` compacted when that would stack too many layers. */
  constructor(below: ReadonlyMap<K, V>) {
    super();
    // A layer already read whole holds its content as one plain map: the new layer goes over that,
    // and the layers below it are no longer kept.
    const under = below instanceof LayeredMap ? (below.flat ?? (below.depth >= MAX_DEPTH ? below.compacted() : below)) : below;
    this.below = under;
    this.depth = under instanceof LayeredMap ? under.depth + 1 : 1;
    this.count = below.size;
  }

  /**
   * The same content in at most one layer over the plain map at the bottom: the layers' few changes
   * are put together, and the bottom (50,000 entries in a large cluster) is copied only once they
   * add up to an eighth of it.
   */
  private compacted(): ReadonlyMap<K, V> {
    const layers: Array<LayeredMap<K, V>> = [];
    let map: ReadonlyMap<K, V> = this.below;
    layers.push(this);
    let changes = (ownSize.call(this) as number) + this.removed.size;
    while (map instanceof LayeredMap) {
      layers.push(map);
      changes += (ownSize.call(map) as number) + map.removed.size;
      map = map.below;
    }
    if (changes * 8 > map.size) return this.flatten();
    const one = new LayeredMap<K, V>(map);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      for (const key of layer.removed) one.delete(key);
      for (const [key, value] of Map.prototype.entries.call(layer) as MapIterator<[K, V]>) one.set(key, value);
    }
    return one;
  }

  /** The layers applied in order on a copy of the plain map at the bottom: native copies, no walk per entry. */
  private flatten(): Map<K, V> {
    if (this.flat) return this.flat;
    const layers: Array<LayeredMap<K, V>> = [this];
    let map: ReadonlyMap<K, V> = this.below;
    while (map instanceof LayeredMap) {
      layers.push(map);
      map = map.below;
    }
    const out = new Map(map);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      for (const key of layer.removed) out.delete(key);
      for (const [key, value] of Map.prototype.entries.call(layer) as MapIterator<[K, V]>) out.set(key, value);
    }
    this.flat = out;
    return out;
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
    this.flat = undefined;
    if (!this.has(key)) this.count++;
    this.removed.delete(key);
    super.set(key, value);
    return this;
  }

  override delete(key: K): boolean {
    if (!this.has(key)) return false;
    this.flat = undefined;
    this.count--;
    super.delete(key);
    if (this.below.has(key)) this.removed.add(key);
    return true;
  }

  override clear(): void {
    this.flat = undefined;
    super.clear();
    for (const key of this.below.keys()) this.removed.add(key);
    this.count = 0;
  }

  override entries(): MapIterator<[K, V]> {
    return this.flatten().entries();
  }

  override keys(): MapIterator<K> {
    return this.flatten().keys();
  }

  override values(): MapIterator<V> {
    return this.flatten().values();
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.flatten()) fn.call(thisArg, value, key, this);
  }
}
