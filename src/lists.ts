// Appending one list to another without spreading it into a call's arguments: every spread element
// goes on the stack, and an input-sized list (135,000 diagnostics of one Ingress) overflows it. The
// lint rule in eslint.config.js forbids the spread in src/; this is what to use instead.

/** Appends `items` to `target`, one by one. */
export function pushAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
