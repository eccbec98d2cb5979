// One way to sort by name everywhere: UTF-16 code-unit order, not the locale's, so every machine and
// every replica lists resources, hosts and diagnostics the same way (and versions hash the same).

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator ordering items by a string key. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareStrings(key(a), key(b));
}

/** Orders anything named (resources, clusters, secrets) by name. */
export function byName<T extends { name: string }>(a: T, b: T): number {
  return compareStrings(a.name, b.name);
}

/** `items` in name order, sorted in place only when they are not already (one pass when they are). */
export function sortedByName<T extends { name: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) if (items[i - 1]!.name > items[i]!.name) return items.sort(byName);
  return items;
}
