// The object store: every Kubernetes object splitplane reads, grouped by the source that supplied it
// (a manifest file, or the informers). A mutation reports whether it changed anything that matters, so
// the rebuild loop is woken only for real changes (a resync that repeats the same objects is ignored).

import type { Diagnostic } from '../model/diagnostics.js';
import { namespaceOf, objectKey, type KubeObject } from '../model/kube-types.js';

/** Kinds the model reads; anything else is dropped at the door. */
export const RELEVANT_KINDS = new Set(['Ingress', 'Service', 'EndpointSlice', 'IngressClass', 'Secret']);

interface Entry {
  object: KubeObject;
  /** Canonical JSON without fields that change on every write, for change detection. */
  fingerprint: string;
}

export class ObjectStore {
  private readonly sources = new Map<string, Map<string, Entry>>();
  private view: Map<string, { object: KubeObject; source: string }> | null = null;
  private duplicates: Diagnostic[] = [];

  /** Replaces everything `source` supplied with `objects`. Returns true when the visible state changed. */
  replaceSource(source: string, objects: readonly KubeObject[]): boolean {
    const previous = this.sources.get(source);
    const next = new Map<string, Entry>();
    for (const object of objects) {
      if (!RELEVANT_KINDS.has(object.kind)) continue;
      const key = objectKey(object);
      const print = fingerprint(object);
      // An unchanged object keeps its identity, so the model can tell "unchanged" with ===.
      const kept = previous?.get(key);
      next.set(key, kept?.fingerprint === print ? kept : { object, fingerprint: print });
    }
    if (previous && sameEntries(previous, next)) return false;
    if (!previous && next.size === 0) return false;
    if (next.size === 0) this.sources.delete(source);
    else this.sources.set(source, next);
    this.view = null;
    return true;
  }

  /** Adds or replaces one object supplied by `source` (used by informers). */
  upsert(source: string, object: KubeObject): boolean {
    if (!RELEVANT_KINDS.has(object.kind)) return false;
    const entries = this.sources.get(source) ?? new Map<string, Entry>();
    const key = objectKey(object);
    const print = fingerprint(object);
    if (entries.get(key)?.fingerprint === print) return false;
    entries.set(key, { object, fingerprint: print });
    this.sources.set(source, entries);
    this.view = null;
    return true;
  }

  remove(source: string, object: Pick<KubeObject, 'kind' | 'metadata'>): boolean {
    const entries = this.sources.get(source);
    if (!entries?.delete(objectKey(object))) return false;
    if (entries.size === 0) this.sources.delete(source);
    this.view = null;
    return true;
  }

  deleteSource(source: string): boolean {
    if (!this.sources.delete(source)) return false;
    this.view = null;
    return true;
  }

  list<T extends KubeObject>(kind: T['kind']): T[] {
    const out: T[] = [];
    for (const { object } of this.visible().values()) if (object.kind === kind) out.push(object as T);
    return out;
  }

  get<T extends KubeObject>(kind: T['kind'], namespace: string, name: string): T | undefined {
    return this.visible().get(`${kind}/${namespace}/${name}`)?.object as T | undefined;
  }

  /** Objects defined by two sources at once (e.g. two files): the first source by name wins. */
  conflicts(): Diagnostic[] {
    this.visible();
    return this.duplicates;
  }

  private visible(): Map<string, { object: KubeObject; source: string }> {
    if (this.view) return this.view;
    const view = new Map<string, { object: KubeObject; source: string }>();
    const duplicates: Diagnostic[] = [];
    for (const source of [...this.sources.keys()].sort()) {
      for (const [key, { object }] of this.sources.get(source)!) {
        const winner = view.get(key);
        if (winner) {
          duplicates.push({
            severity: 'warning',
            object: { kind: object.kind, namespace: namespaceOf(object), name: object.metadata.name },
            field: 'metadata.name',
            message: `defined twice, in ${winner.source} and in ${source}; using the one in ${winner.source}`,
          });
          continue;
        }
        view.set(key, { object, source });
      }
    }
    this.view = view;
    this.duplicates = duplicates;
    return view;
  }
}

function fingerprint(object: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  delete (metadata as { managedFields?: unknown }).managedFields;
  return JSON.stringify({ ...object, metadata, status: undefined });
}

function sameEntries(a: Map<string, Entry>, b: Map<string, Entry>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, entry] of a) if (b.get(key)?.fingerprint !== entry.fingerprint) return false;
  return true;
}
