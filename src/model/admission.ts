// Admission: which form of each object the model uses. An object whose current form is valid (and not
// refused by Envoy) is used as it is; otherwise its last accepted form keeps serving, and an object that
// was never accepted is left out. Diagnostics say which happened, after the errors that caused it.

import { DiagnosticSink, type Diagnostic } from '../objects/diagnostics.js';
import { objectKey, type KubeObject } from '../objects/kube.js';
import { refOfObject, validateObject } from './validation/validate.js';
import { ok, type Result } from '../objects/result.js';
import { pushAll } from '../lists.js';

/** The last accepted form of every object, by `Kind/<namespace>/<name>`. */
export type AcceptedObjects = ReadonlyMap<string, KubeObject>;

/** Forms of objects that Envoy refused (a NACK traced back to them), with what to say about it. */
export interface RejectedObjects {
  get(object: KubeObject): { field: string; message: string } | undefined;
  has(object: KubeObject): boolean;
  /** How many forms were ever marked, when it counts them: while it is the same, no object was refused. */
  readonly marks?: number;
}

export const KEEPS_SERVING = 'this version is rejected because of the errors above; the last accepted version keeps serving';
export const NEVER_ACCEPTED = 'is rejected because of the errors above and has never been accepted, so it is left out';

/**
 * The current form of `object` if it may be used, else null. Its diagnostics go to `sink`; the caller
 * decides about the fallback (Ingresses have more to check before they are accepted).
 */
export function admissible<T extends KubeObject>(object: T, rejected: RejectedObjects, sink: DiagnosticSink): Result<T, Diagnostic> {
  const mark = sink.mark();
  const validation = validateObject(object);
  pushAll(sink.items, validation.diagnostics);
  if (!validation.valid) return sink.failedSince(mark);
  const refusal = rejected.get(validation.object);
  if (refusal) {
    sink.error(refusal.field, refusal.message);
    return sink.failedSince(mark);
  }
  return ok(validation.object);
}

/**
 * Lists admitted whole, with nothing to say about any object: the same list (the store hands out one
 * array per kind until the kind changes) admits the same way again, whatever the previous forms were,
 * so a rebuild for one Ingress does not validate 40,000 unchanged Services and EndpointSlices.
 */
const admittedLists = new WeakMap<readonly KubeObject[], { rejected: RejectedObjects; marks: number | undefined; keys: string[]; out: KubeObject[] }>();

/**
 * Admits every object of one kind: the form to use for each, recorded in `accepted`. A partial build
 * (model/incremental.ts) passes no `accepted` for a list the last build admitted: its forms are already
 * in the map it layers on, and recording 40,000 of them again was most of a one-Ingress change.
 */
export function admitAll<T extends KubeObject>(
  objects: readonly T[],
  previous: AcceptedObjects,
  rejected: RejectedObjects,
  accepted: Map<string, KubeObject> | undefined,
  diagnostics: Diagnostic[],
): T[] {
  const known = admittedLists.get(objects);
  // Refusals are added to the same `rejected` as clients NACK: each object is asked again (a lookup,
  // not a validation), unless they are counted and none was added.
  const unrefused = (list: NonNullable<typeof known>) => {
    if (list.marks !== undefined && list.marks === rejected.marks) return true;
    if (list.out.some((o) => rejected.has(o))) return false;
    list.marks = rejected.marks;
    return true;
  };
  if (known && known.rejected === rejected && unrefused(known)) {
    if (accepted) for (let i = 0; i < known.keys.length; i++) accepted.set(known.keys[i]!, known.out[i]!);
    return known.out as T[];
  }
  accepted ??= new Map();
  const before = diagnostics.length;
  const keys: string[] = [];
  const out: T[] = [];
  for (const object of objects) {
    const key = objectKey(object);
    // The common case, checked without allocating: a valid object with nothing to say about it.
    const validation = validateObject(object);
    if (validation.valid && validation.diagnostics.length === 0 && !rejected.has(validation.object)) {
      out.push(validation.object);
      keys.push(key);
      accepted.set(key, validation.object);
      continue;
    }
    const sink = new DiagnosticSink(refOfObject(object));
    const admitted = admissible(object, rejected, sink);
    const current = admitted.ok ? admitted.value : undefined;
    let used: T | undefined = current;
    if (!current) {
      const last = previous.get(key) as T | undefined;
      if (last && !rejected.has(last)) {
        used = last;
        sink.warning('metadata', KEEPS_SERVING);
      } else {
        sink.warning('metadata', `this ${object.kind} ${NEVER_ACCEPTED}`);
      }
    }
    pushAll(diagnostics, sink.items);
    if (used) {
      out.push(used);
      keys.push(key);
      accepted.set(key, used);
    }
  }
  if (diagnostics.length === before && keys.length === objects.length) admittedLists.set(objects, { rejected, marks: rejected.marks, keys, out });
  return out;
}
