// The object store: every Kubernetes object splitplane reads, grouped by the source that supplied it
// (a manifest file, or the informers). A mutation reports whether it changed anything that matters, so
// the rebuild loop is woken only for real changes (a resync that repeats the same objects is ignored).

import type { Diagnostic } from '../objects/diagnostics.js';
import { namespaceOf, objectKey, type KubeObject } from '../objects/kube.js';
import { compareStrings } from '../order.js';
import { GATEWAY_GROUP } from '../objects/gateway-api.js';

/** Kinds the model reads; anything else is dropped at the door. */
export const RELEVANT_KINDS = new Set(['Ingress', 'Service', 'EndpointSlice', 'IngressClass', 'Secret', 'Namespace']);
/** Gateway API kinds, read only from their own API group: Istio's networking.istio.io Gateway is another thing. */
const GATEWAY_KINDS = new Set(['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant']);

/** Whether the model reads this object. */
export function isRelevant(object: Pick<KubeObject, 'kind' | 'apiVersion'>): boolean {
  if (RELEVANT_KINDS.has(object.kind)) return true;
  return GATEWAY_KINDS.has(object.kind) && typeof object.apiVersion === 'string' && object.apiVersion.startsWith(`${GATEWAY_GROUP}/`);
}

interface Entry {
  object: KubeObject;
  /** Canonical JSON without fields that change on every write, for change detection. */
  fingerprint: string;
  /** When the source first defined this object: of two definitions, the earlier one stays in force. */
  seq: number;
  /** Where in the source the object is written (`documents[1]`), for diagnostics. */
  field?: string;
}

export class ObjectStore {
  private readonly sources = new Map<string, Map<string, Entry>>();
  private view: Map<string, { object: KubeObject; source: string }> | null = null;
  private duplicates: Diagnostic[] = [];
  private nextSeq = 0;

  /**
   * Replaces everything `source` supplied with `objects` (`fields[i]` says where objects[i] is written).
   * Returns true when the visible state changed.
   */
  replaceSource(source: string, objects: readonly KubeObject[], fields: readonly string[] = []): boolean {
    const previous = this.sources.get(source);
    const next = new Map<string, Entry>();
    objects.forEach((object, i) => {
      if (!isRelevant(object)) return;
      const key = objectKey(object);
      const print = fingerprint(object);
      // An unchanged object keeps its identity, so the model can tell "unchanged" with ===.
      const kept = previous?.get(key);
      const entry: Entry =
        kept?.fingerprint === print && kept.field === fields[i]
          ? kept
          : { object: kept?.fingerprint === print ? kept.object : object, fingerprint: print, seq: kept?.seq ?? this.nextSeq++ };
      if (fields[i] !== undefined) entry.field = fields[i];
      // Defined twice in one source: the first definition counts (the source reports it).
      if (!next.has(key)) next.set(key, entry);
    });
    if (previous && sameEntries(previous, next)) return false;
    if (!previous && next.size === 0) return false;
    if (next.size === 0) this.sources.delete(source);
    else this.sources.set(source, next);
    this.view = null;
    return true;
  }

  /** Adds or replaces one object supplied by `source` (used by informers). */
  upsert(source: string, object: KubeObject): boolean {
    if (!isRelevant(object)) return false;
    const entries = this.sources.get(source) ?? new Map<string, Entry>();
    const key = objectKey(object);
    const print = fingerprint(object);
    const kept = entries.get(key);
    if (kept?.fingerprint === print) return false;
    entries.set(key, { object, fingerprint: print, seq: kept?.seq ?? this.nextSeq++ });
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

  /** The visible objects of one kind; the array is shared until the next change (do not modify it). */
  list<T extends KubeObject>(kind: T['kind']): T[] {
    this.visible();
    return (this.byKind.get(kind) ?? []) as T[];
  }

  get<T extends KubeObject>(kind: T['kind'], namespace: string, name: string): T | undefined {
    return this.visible().get(`${kind}/${namespace}/${name}`)?.object as T | undefined;
  }

  /**
   * Objects defined by two sources at once (e.g. two files): an error on both, naming the other. The
   * definition that came first stays in force, so adding a file can never silently replace a live object.
   */
  conflicts(): Diagnostic[] {
    this.visible();
    return this.duplicates;
  }

  private byKind = new Map<string, KubeObject[]>();

  // Rebuilt after a change, in one pass over every entry; definitions of one object by two sources are
  // rare, and only they cost more.
  private visible(): Map<string, { object: KubeObject; source: string }> {
    if (this.view) return this.view;
    const view = new Map<string, { object: KubeObject; source: string; entry: Entry }>();
    const collisions = new Map<string, Array<{ source: string; entry: Entry }>>();
    for (const [source, entries] of this.sources) {
      for (const [key, entry] of entries) {
        const current = view.get(key);
        if (!current) {
          view.set(key, { object: entry.object, source, entry });
          continue;
        }
        const all = collisions.get(key) ?? [{ source: current.source, entry: current.entry }];
        all.push({ source, entry });
        collisions.set(key, all);
        if (entry.seq < current.entry.seq || (entry.seq === current.entry.seq && source < current.source))
          view.set(key, { object: entry.object, source, entry });
      }
    }
    const duplicates: Diagnostic[] = [];
    for (const [key, all] of collisions) {
      const winner = view.get(key)!;
      const label = `${winner.object.kind} ${namespaceOf(winner.object)}/${winner.object.metadata.name}`;
      for (const loser of all.sort((a, b) => a.entry.seq - b.entry.seq || compareStrings(a.source, b.source))) {
        if (loser.source === winner.source) continue;
        duplicates.push({
          severity: 'error',
          object: sourceRef(loser.source),
          field: `${loser.entry.field ?? 'documents'}.metadata.name`,
          message: `${label} is already defined in ${where(winner)}, which was read first and stays in force; this definition is ignored: remove one of them`,
        });
        duplicates.push({
          severity: 'error',
          object: sourceRef(winner.source),
          field: `${winner.entry.field ?? 'documents'}.metadata.name`,
          message: `${label} is defined again in ${where(loser)}; this definition, read first, stays in force until one of them is removed`,
        });
      }
    }
    const byKind = new Map<string, KubeObject[]>();
    for (const { object } of view.values()) {
      const list = byKind.get(object.kind);
      if (list) list.push(object);
      else byKind.set(object.kind, [object]);
    }
    this.view = view;
    this.byKind = byKind;
    this.duplicates = duplicates;
    return view;
  }
}

/** A source as diagnostics name it: `file:a.yaml` is the File a.yaml. */
function sourceRef(source: string): { kind: string; name: string } {
  return source.startsWith('file:') ? { kind: 'File', name: source.slice(5) } : { kind: 'Source', name: source };
}

function where({ source, entry }: { source: string; entry: Entry }): string {
  const ref = sourceRef(source);
  return `${ref.kind === 'File' ? ref.name : source}${entry.field ? ` (${entry.field})` : ''}`;
}

function fingerprint(object: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  delete (metadata as { managedFields?: unknown }).managedFields;
  return JSON.stringify({ ...object, metadata, status: undefined });
}

function sameEntries(a: Map<string, Entry>, b: Map<string, Entry>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, entry] of a) if (b.get(key)?.fingerprint !== entry.fingerprint || b.get(key)?.field !== entry.field) return false;
  return true;
}
