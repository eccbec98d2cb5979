// Every problem with an input is a Diagnostic: it names the object and the exact field, so the person who
// wrote the manifest can find and fix it without reading our code.

import { byKey } from '../order.js';
import { failureOf, ok, type Result } from './result.js';

export type Severity = 'error' | 'warning' | 'info';

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface Diagnostic {
  severity: Severity;
  object: ObjectRef;
  /** Path of the field inside the object, e.g. metadata.annotations["ingress.aliyun.weight/new-nginx"]. */
  field: string;
  message: string;
}

export function objectLabel(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity}: ${objectLabel(d.object)}: ${d.field}: ${d.message}`;
}

export function annotationField(key: string): string {
  return `metadata.annotations[${JSON.stringify(key)}]`;
}

/** Longest message kept: a message quoting a 100 KB value is no use to anyone reading it. */
export const MAX_MESSAGE = 1000;

/** A message cut to MAX_MESSAGE characters, saying how much was cut. */
export function boundedMessage(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters)`;
}

/** Diagnostics kept per object: one Ingress with 135,000 bad paths says so in a hundred lines and a count. */
export const MAX_DIAGNOSTICS_PER_OBJECT = 100;

/**
 * At most MAX_DIAGNOSTICS_PER_OBJECT diagnostics per object, in the order given (errors first when the
 * list is sorted), and one more saying how many were left out.
 */
export function capPerObject(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const d of list) {
    const label = objectLabel(d.object);
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    if (n <= MAX_DIAGNOSTICS_PER_OBJECT) out.push(d);
  }
  for (const [label, n] of seen) {
    if (n <= MAX_DIAGNOSTICS_PER_OBJECT) continue;
    const object = list.find((d) => objectLabel(d.object) === label)!.object;
    out.push({
      severity: 'warning',
      object,
      field: 'metadata',
      message: `${n - MAX_DIAGNOSTICS_PER_OBJECT} more diagnostics on this object are not shown; fix the ones above first`,
    });
  }
  return out;
}

/** Collects diagnostics about one object, so callers need not repeat the object reference. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(private readonly object: ObjectRef) {}

  error(field: string, message: string): void {
    this.items.push({ severity: 'error', object: this.object, field, message: boundedMessage(message) });
  }

  warning(field: string, message: string): void {
    this.items.push({ severity: 'warning', object: this.object, field, message: boundedMessage(message) });
  }

  info(field: string, message: string): void {
    this.items.push({ severity: 'info', object: this.object, field, message: boundedMessage(message) });
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Where the sink stands now, for resultSince. */
  mark(): number {
    return this.items.length;
  }

  /**
   * A parser's result: its value, or a failure carrying the errors reported since `mark` (they stay in
   * the sink as well, so the object's diagnostics list each error once, warnings included).
   */
  resultSince<T>(mark: number, value: T): Result<T, Diagnostic> {
    const errors = this.items.slice(mark).filter((d) => d.severity === 'error');
    return errors.length === 0 ? ok(value) : failureOf(errors);
  }

  /** The failure of a parser that gives up after reporting errors since `mark`. */
  failedSince(mark: number): { readonly ok: false; readonly diagnostics: readonly Diagnostic[] } {
    return failureOf(this.items.slice(mark).filter((d) => d.severity === 'error'));
  }
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/**
 * Stable order for output: errors first, then warnings, then infos (a warning that says "because of
 * the errors above" must come after them); within a severity by object, then field, then message.
 */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(byKey(orderKey));
}

function orderKey(d: Diagnostic): string {
  return `${SEVERITY_RANK[d.severity]}\u0000${d.object.kind}\u0000${d.object.namespace ?? ''}\u0000${d.object.name}\u0000${d.field}\u0000${d.message}`;
}

/**
 * `sorted` and `more` (each in sortDiagnostics' order) as one list in that order. Each of `more` is put
 * where a binary search finds its place: a few diagnostics join a list of thousands without its keys
 * being made again.
 */
export function insertSorted(sorted: readonly Diagnostic[], more: readonly Diagnostic[]): Diagnostic[] {
  if (more.length === 0) return [...sorted];
  const out: Diagnostic[] = [];
  let from = 0;
  for (const d of more) {
    const key = orderKey(d);
    let lo = from;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (orderKey(sorted[mid]!) <= key) lo = mid + 1;
      else hi = mid;
    }
    for (let i = from; i < lo; i++) out.push(sorted[i]!);
    out.push(d);
    from = lo;
  }
  for (let i = from; i < sorted.length; i++) out.push(sorted[i]!);
  return out;
}
