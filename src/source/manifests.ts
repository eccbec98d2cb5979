// Manifest text → Kubernetes objects. YAML with several documents and `kind: List` are accepted; what
// cannot be read becomes a diagnostic that names the file and the document, never an exception.

import { loadAll, YAMLException } from 'js-yaml';
import type { Diagnostic } from '../objects/diagnostics.js';
import { namespaceOf, objectKey, type KubeObject } from '../objects/kube.js';
import { convertLegacyIngress, isLegacyIngress } from './legacy.js';

export interface ParsedManifests {
  objects: KubeObject[];
  /** Where each object is in the file, e.g. `documents[1]` or `documents[0].items[2]`. */
  fields: string[];
  diagnostics: Diagnostic[];
  /** True when the file could not be read as a whole: its previous objects should stay served. */
  failed: boolean;
}

export function parseManifests(text: string, fileName: string): ParsedManifests {
  const objects: KubeObject[] = [];
  const fields: string[] = [];
  const seen = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const fileRef = { kind: 'File', name: fileName };
  let documents: unknown[];
  try {
    // js-yaml: about a hundred times faster than the `yaml` package on these machines (see
    // BENCHMARKS.md), refuses duplicate keys, and its errors carry line and column.
    documents = loadAll(text, undefined, { filename: fileName });
  } catch (error) {
    const where = error instanceof YAMLException && error.mark ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}` : 'an unknown place';
    const reason = error instanceof YAMLException ? error.reason : String(error);
    diagnostics.push({
      severity: 'error',
      object: fileRef,
      field: documentField(text, error),
      message: `YAML does not parse at ${where}: ${reason}; the file's previous contents stay in force until it is fixed`,
    });
    return { objects, fields, diagnostics, failed: true };
  }
  // Aliases are references, not copies, so a few lines can stand for billions of nodes: everything
  // that walks the objects later (change detection, the model) would stall or run out of memory.
  // An alias is written `*name`: text without a `*` has none, and most files are spared the walk.
  const expansion = text.includes('*') ? aliasExpansion(documents, Math.max(MIN_EXPANSION_BUDGET, EXPANSION_FACTOR * text.length)) : undefined;
  if (expansion) {
    diagnostics.push({
      severity: 'error',
      object: fileRef,
      field: 'documents',
      message: `${expansion}; the file's previous contents stay in force until it is fixed`,
    });
    return { objects, fields, diagnostics, failed: true };
  }
  documents.forEach((value, index) => {
    if (value === null || value === undefined) return;
    collect(value, `documents[${index}]`);
  });
  return { objects, fields, diagnostics, failed: false };

  function collect(value: unknown, field: string): void {
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      diagnostics.push({ severity: 'error', object: fileRef, field, message: 'is not a Kubernetes object (a mapping with apiVersion, kind and metadata)' });
      return;
    }
    const obj = value as { kind?: unknown; apiVersion?: unknown; items?: unknown; metadata?: { name?: unknown } };
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      obj.items.forEach((item: unknown, i: number) => collect(item, `${field}.items[${i}]`));
      return;
    }
    if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
      diagnostics.push({ severity: 'error', object: fileRef, field, message: 'has no apiVersion or kind' });
      return;
    }
    if (typeof obj.metadata?.name !== 'string' || obj.metadata.name === '') {
      diagnostics.push({ severity: 'error', object: fileRef, field: `${field}.metadata.name`, message: `${obj.kind} has no metadata.name` });
      return;
    }
    const object = isLegacyIngress({ apiVersion: obj.apiVersion, kind: obj.kind }) ? convertLegacyIngress(obj) : (obj as unknown as KubeObject);
    const first = seen.get(objectKey(object));
    if (first !== undefined) {
      diagnostics.push({
        severity: 'error',
        object: fileRef,
        field: `${field}.metadata.name`,
        message: `${obj.kind} ${namespaceOf(object)}/${obj.metadata.name} is already defined in ${first} of this file; this definition is ignored: remove one of them`,
      });
      return;
    }
    seen.set(objectKey(object), field);
    objects.push(object);
    fields.push(field);
  }
}

/** At most this many uses of an alias per file; hand-written manifests use a few. */
export const MAX_ALIASES = 1000;
/** What the documents may expand to, in nodes plus characters of text: this many times the file's size. */
const EXPANSION_FACTOR = 10;
const MIN_EXPANSION_BUDGET = 1024 * 1024;

/**
 * Why the documents expand too much, or undefined. Each distinct node is visited once (its expanded
 * size is remembered), so the check costs the size of the file, not of the expansion.
 */
export function aliasExpansion(documents: readonly unknown[], budget: number): string | undefined {
  const sizes = new Map<object, number>();
  let aliases = 0;
  const size = (value: unknown): number => {
    if (typeof value === 'string') return 1 + value.length;
    if (typeof value !== 'object' || value === null) return 1;
    const known = sizes.get(value);
    if (known !== undefined) {
      aliases++;
      return known;
    }
    sizes.set(value, Infinity); // a node inside itself (never made by js-yaml) counts as too large
    let total = 1;
    for (const child of Array.isArray(value) ? value : Object.entries(value).flat()) {
      total += size(child);
      if (total > budget) break;
    }
    sizes.set(value, total);
    return total;
  };
  let total = 0;
  for (const document of documents) {
    total += size(document);
    if (aliases > MAX_ALIASES) return `YAML aliases are used more than ${MAX_ALIASES} times`;
    if (total > budget)
      return `YAML aliases expand the file to more than ${budget} nodes and characters (${EXPANSION_FACTOR} times its size), which would stall splitplane`;
  }
  return undefined;
}

/** `documents[i]` for the document holding the error: count the `---` separators before its line. */
function documentField(text: string, error: unknown): string {
  if (!(error instanceof YAMLException) || !error.mark) return 'documents';
  const before = text.split('\n').slice(0, error.mark.line);
  const separators = before.filter((line) => /^---(\s|$)/.test(line)).length;
  const leading = /^\s*---(\s|$)/.test(text) ? 1 : 0;
  return `documents[${Math.max(0, separators - leading)}]`;
}
