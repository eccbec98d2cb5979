import { byName } from '../order.js';

// Lists made from the last build's by replacing a few places. At 10,000 Ingresses a one-Ingress change
// gives a model whose lists are the last ones with one host and a few clusters in new objects at the
// same places; translating and encoding everything again was most of the change's cost. A list made
// here says which list it was made from and at which places it differs, so whoever encoded the last
// list can bring its work up to date place by place (snapshot/encoder.ts).

/** Where a list differs from the list it was made from: every other place holds the very same item. */
export interface Derivation<T> {
  readonly base: readonly T[];
  readonly at: readonly number[];
}

const derivations = new WeakMap<readonly unknown[], Derivation<unknown>>();

/** How `list` was made from an earlier list, if it was made here. */
export function derivationOf<T>(list: readonly T[]): Derivation<T> | undefined {
  return derivations.get(list) as Derivation<T> | undefined;
}

/**
 * `make` mapped over lists that change by places: each call's input is compared, place by place, with
 * the last call's, and only the places that hold another object are made again. The output is the last
 * output itself when nothing changed, and otherwise records its derivation.
 */
export class DerivedList<A, R> {
  private from: readonly A[] | undefined;
  private out: R[] | undefined;

  map(list: readonly A[], make: (item: A) => R): R[] {
    const { from, out } = this;
    if (list === from && out) return out;
    this.from = list;
    if (!from || !out || from.length !== list.length) return (this.out = list.map(make));
    let result: R[] | undefined;
    const at: number[] = [];
    for (let i = 0; i < list.length; i++) {
      if (list[i] === from[i]) continue;
      result ??= out.slice();
      result[i] = make(list[i]!);
      at.push(i);
    }
    if (!result) return out;
    // One link back, no more: the last list's own derivation is done with, and a chain of every
    // build's lists would keep them all.
    derivations.delete(out);
    derivations.set(result, { base: out, at });
    return (this.out = result);
  }
}

/**
 * `items` in name order: the list itself when it is in order (only the places where a derived list
 * differs from a base in order are checked, when they keep their names), else a sorted copy (the list
 * stays as DerivedList made it, place for place).
 */
export function inNameOrder<T extends { name: string }>(items: readonly T[]): readonly T[] {
  if (inOrder.has(items)) return items;
  const derivation = derivationOf(items);
  if (derivation && inOrder.has(derivation.base) && derivation.at.every((i) => items[i]!.name === derivation.base[i]!.name)) {
    inOrder.add(items);
    return items;
  }
  for (let i = 1; i < items.length; i++) if (items[i - 1]!.name > items[i]!.name) return [...items].sort(byName);
  inOrder.add(items);
  return items;
}

/** Lists found in name order. */
const inOrder = new WeakSet<readonly unknown[]>();
