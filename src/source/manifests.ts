// Manifest text → Kubernetes objects. YAML with several documents and `kind: List` are accepted; what
// cannot be read becomes a diagnostic that names the file and the document, never an exception.

import { parseAllDocuments } from 'yaml';
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
  let failed = false;
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((doc, index) => {
    for (const error of doc.errors) {
      failed = true;
      const where = error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : `document ${index + 1}`;
      diagnostics.push({ severity: 'error', object: fileRef, field: `documents[${index}]`, message: `YAML does not parse at ${where}: ${firstLine(error.message)}; the file's previous contents stay in force until it is fixed` });
    }
    if (doc.errors.length > 0) return;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    collect(value, `documents[${index}]`);
  });
  return { objects, diagnostics, failed };

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
    if (obj.metadata.annotations !== undefined) {
      obj.metadata.annotations = stringifyAnnotations(obj.metadata.annotations);
    }
    objects.push(isLegacyIngress(obj) ? convertLegacyIngress(obj) : (obj as KubeObject));
  }
}

// Kubernetes annotations are strings; YAML authors often write `weight: 50` unquoted. The API server
// would reject that, but the intent is clear, so we keep the text and let the dialect judge it.
function stringifyAnnotations(annotations: unknown): Record<string, string> {
  if (typeof annotations !== 'object' || annotations === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) out[k] = v === null ? '' : String(v);
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
