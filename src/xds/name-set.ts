// A Delta subscription's names: a base set shared by every stream that holds the same names, and this
// stream's own additions and removals since. A request that adds or drops one name costs that one name,
// not a copy of the twenty thousand the stream holds; once the changes grow to a quarter of the base
// (after a request: a fleet's first EDS request, naming every cluster, is folded at once) they are
// folded into a new base, which is shared again (amortised, still O(names in the requests)).

const FOLD_AT_LEAST = 64;

export class NameSet implements ReadonlySet<string> {
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    private base: ReadonlySet<string>,
    /** Makes a shared set of a plain one (state-level interning); the identity when nothing is shared. */
    private readonly share: (names: Set<string>) => ReadonlySet<string>,
  ) {}

  has(name: string): boolean {
    if (this.added.has(name)) return true;
    return this.base.has(name) && !this.removed.has(name);
  }

  get size(): number {
    return this.base.size - this.removed.size + this.added.size;
  }

  /** Adds a name; false when it was there already. */
  add(name: string): boolean {
    if (this.has(name)) return false;
    if (!this.removed.delete(name)) this.added.add(name);
    return true;
  }

  /** Drops a name; false when it was not there. */
  delete(name: string): boolean {
    if (!this.has(name)) return false;
    if (!this.added.delete(name)) this.removed.add(name);
    return true;
  }

  /** The shared set itself when there are no changes of this stream's own (the faster one to read). */
  get plain(): ReadonlySet<string> | undefined {
    return this.added.size === 0 && this.removed.size === 0 ? this.base : undefined;
  }

  /** After a request: folds the changes into a new shared base once they are a quarter of it. */
  settle(): void {
    if (this.added.size + this.removed.size < Math.max(FOLD_AT_LEAST, this.base.size / 4)) return;
    const next = new Set<string>();
    for (const name of this) next.add(name);
    this.base = this.share(next);
    this.added.clear();
    this.removed.clear();
  }

  *[Symbol.iterator](): SetIterator<string> {
    for (const name of this.base) if (!this.removed.has(name)) yield name;
    yield* this.added;
  }

  keys(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  values(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  *entries(): SetIterator<[string, string]> {
    for (const name of this) yield [name, name];
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void): void {
    for (const name of this) callback(name, name, this);
  }
}
