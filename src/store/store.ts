// The object store: every Kubernetes object splitplane reads, grouped by the source that supplied it
// (a manifest file, or the informers). A mutation reports whether it changed anything that matters, so
// the rebuild loop is woken only for real changes (a resync that repeats the same objects is ignored).

import type { Diagnostic } from '../objects/diagnostics.js';
import { namespaceOf, objectKey, type KubeObject } from '../objects/kube.js';
import { compareStrings } from '../order.js';
import { pushAll } from '../lists.js';
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
  private nextSeq = 0;
  /** Which sources define each key: the candidates when that key changes. */
  private readonly definedBy = new Map<string, Set<string>>();
  /** The definition in force for each key. */
  private readonly view = new Map<string, Visible>();
  /** Per kind, the visible objects by key, in the order they became visible. */
  private readonly byKindMap = new Map<string, Map<string, KubeObject>>();
  /** Per kind, the list handed out until that kind changes (shared: do not modify it). */
  private readonly lists = new Map<string, KubeObject[]>();
  /** Keys changed since the view was last brought up to date. */
  private readonly dirty = new Set<string>();
  /** Per key defined by more than one source: the diagnostics saying so. */
  private readonly collisions = new Map<string, Diagnostic[]>();
  private duplicates: Diagnostic[] = [];
  private duplicatesStale = false;

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
    for (const [key, entry] of previous ?? []) if (next.get(key) !== entry) this.touch(key, source, next.has(key));
    for (const [key, entry] of next) if (previous?.get(key) !== entry) this.touch(key, source, true);
    if (next.size === 0) this.sources.delete(source);
    else this.sources.set(source, next);
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
    this.touch(key, source, true);
    return true;
  }

  remove(source: string, object: Pick<KubeObject, 'kind' | 'metadata'>): boolean {
    const entries = this.sources.get(source);
    const key = objectKey(object);
    if (!entries?.delete(key)) return false;
    if (entries.size === 0) this.sources.delete(source);
    this.touch(key, source, false);
    return true;
  }

  deleteSource(source: string): boolean {
    const entries = this.sources.get(source);
    if (!entries) return false;
    this.sources.delete(source);
    for (const key of entries.keys()) this.touch(key, source, false);
    return true;
  }

  /** The visible objects of one kind; the array is shared until that kind changes (do not modify it). */
  list<T extends KubeObject>(kind: T['kind']): T[] {
    this.refresh();
    let list = this.lists.get(kind);
    if (!list) {
      list = [...(this.byKindMap.get(kind)?.values() ?? [])];
      this.lists.set(kind, list);
    }
    return list as T[];
  }

  get<T extends KubeObject>(kind: T['kind'], namespace: string, name: string): T | undefined {
    this.refresh();
    return this.view.get(`${kind}/${namespace}/${name}`)?.object as T | undefined;
  }

  /**
   * Objects defined by two sources at once (e.g. two files): an error on both, naming the other. The
   * definition that came first stays in force, so adding a file can never silently replace a live object.
   */
  conflicts(): Diagnostic[] {
    this.refresh();
    if (this.duplicatesStale) {
      const all: Diagnostic[] = [];
      for (const list of this.collisions.values()) pushAll(all, list);
      this.duplicates = all;
      this.duplicatesStale = false;
    }
    return this.duplicates;
  }

  /** `key` of `source` changed; `defined` says whether the source still defines it. */
  private touch(key: string, source: string, defined: boolean): void {
    let by = this.definedBy.get(key);
    if (defined) {
      if (!by) this.definedBy.set(key, (by = new Set()));
      by.add(source);
    } else if (by) {
      by.delete(source);
      if (by.size === 0) this.definedBy.delete(key);
    }
    this.dirty.add(key);
  }

  // A change costs the keys it touched, not a pass over every object: at 10,000 Ingresses and 40,000
  // Services and EndpointSlices a one-object edit must not redo the other 50,000.
  private refresh(): void {
    if (this.dirty.size === 0) return;
    for (const key of this.dirty) this.refreshKey(key);
    this.dirty.clear();
  }

  private refreshKey(key: string): void {
    const candidates: Visible[] = [];
    for (const source of this.definedBy.get(key) ?? []) {
      const entry = this.sources.get(source)?.get(key);
      if (entry) candidates.push({ object: entry.object, source, entry });
    }
    // Of two definitions, the one read first stays in force (ties by source name, for a stable answer).
    candidates.sort((a, b) => a.entry.seq - b.entry.seq || compareStrings(a.source, b.source));
    const winner = candidates[0];
    const before = this.view.get(key);
    const kind = key.slice(0, key.indexOf('/'));
    if (winner?.object !== before?.object) {
      let objects = this.byKindMap.get(kind);
      if (!objects) this.byKindMap.set(kind, (objects = new Map()));
      // Moved to the end when replaced: a kind's order is the order its objects last changed.
      objects.delete(key);
      if (winner) objects.set(key, winner.object);
      this.lists.delete(kind);
    }
    if (winner) this.view.set(key, winner);
    else this.view.delete(key);
    if (candidates.length < 2) {
      if (this.collisions.delete(key)) this.duplicatesStale = true;
      return;
    }
    this.collisions.set(key, duplicateDiagnostics(winner!, candidates.slice(1)));
    this.duplicatesStale = true;
  }
}

interface Visible {
  object: KubeObject;
  source: string;
  entry: Entry;
}

/** An error on each definition not in force, and one on the definition in force naming each of them. */
function duplicateDiagnostics(winner: Visible, losers: readonly Visible[]): Diagnostic[] {
  const label = `${winner.object.kind} ${namespaceOf(winner.object)}/${winner.object.metadata.name}`;
  const out: Diagnostic[] = [];
  for (const loser of losers) {
    out.push({
      severity: 'error',
      object: sourceRef(loser.source),
      field: `${loser.entry.field ?? 'documents'}.metadata.name`,
      message: `${label} is already defined in ${where(winner)}, which was read first and stays in force; this definition is ignored: remove one of them`,
    });
    out.push({
      severity: 'error',
      object: sourceRef(winner.source),
      field: `${winner.entry.field ?? 'documents'}.metadata.name`,
      message: `${label} is defined again in ${where(loser)}; this definition, read first, stays in force until one of them is removed`,
    });
  }
  return out;
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
