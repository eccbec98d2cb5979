// Manifest text → Kubernetes objects. YAML with several documents and `kind: List` are accepted; what
// cannot be read becomes a diagnostic that names the file and the document, never an exception.

import { loadAll, YAMLException } from 'js-yaml';
import type { Diagnostic } from '../model/diagnostics.js';
import type { KubeObject } from '../model/kube-types.js';
import { convertLegacyIngress, isLegacyIngress } from './legacy.js';

export interface ParsedManifests {
  objects: KubeObject[];
  diagnostics: Diagnostic[];
  /** True when the file could not be read as a whole: its previous objects should stay served. */
  failed: boolean;
}

export function parseManifests(text: string, fileName: string): ParsedManifests {
  const objects: KubeObject[] = [];
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
    diagnostics.push({ severity: 'error', object: fileRef, field: documentField(text, error), message: `YAML does not parse at ${where}: ${reason}; the file's previous contents stay in force until it is fixed` });
    return { objects, diagnostics, failed: true };
  }
  documents.forEach((value, index) => {
    if (value === null || value === undefined) return;
    collect(value, `documents[${index}]`);
  });
  return { objects, diagnostics, failed: false };

  function collect(value: unknown, field: string): void {
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      diagnostics.push({ severity: 'error', object: fileRef, field, message: 'is not a Kubernetes object (a mapping with apiVersion, kind and metadata)' });
      return;
    }
    const obj = value as Record<string, any>;
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
    objects.push(isLegacyIngress(obj) ? convertLegacyIngress(obj) : (obj as KubeObject));
  }
}

/** `documents[i]` for the document holding the error: count the `---` separators before its line. */
function documentField(text: string, error: unknown): string {
  if (!(error instanceof YAMLException) || !error.mark) return 'documents';
  const before = text.split('\n').slice(0, error.mark.line);
  const separators = before.filter((line) => /^---(\s|$)/.test(line)).length;
  const leading = /^\s*---(\s|$)/.test(text) ? 1 : 0;
  return `documents[${Math.max(0, separators - leading)}]`;
}
