// One manifest file of the folder, read again: its new state, and its objects when it parsed. A file
// that cannot be used (not a regular file, too large, not parsed) gets diagnostics and keeps its
// previous objects.

import type { Logger } from '../log.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { KubeObject } from '../objects/kube.js';
import { parseManifests } from './manifests.js';
import { readRegularFile } from './read-file.js';

export interface FileState {
  stamp: string;
  text: string;
  diagnostics: Diagnostic[];
  /** Objects the store holds from this file (the previous ones while it does not parse). */
  objects: number;
  /** The file was not read (not a regular file, too large): `text` is the last text read. */
  refused?: true;
}

/** What one scan found for one file: its new state and, when it parsed, its objects; null when gone. */
export type FileUpdate = { state: FileState; objects?: readonly KubeObject[]; fields?: string[] } | null;

/**
 * The new state of one file, or undefined when it did not change. A file that cannot be used (not a
 * regular file, too large, not parsed) gets diagnostics and keeps its previous objects.
 */
export function readManifestFile(file: string, rel: string, known: FileState | undefined, maxFileBytes: number, log: Logger): FileUpdate | undefined {
  const result = readRegularFile(file, maxFileBytes, known?.stamp);
  if (result.kind === 'unchanged' || result.kind === 'gone') return undefined;
  if (result.kind === 'refused') {
    if (known?.diagnostics.length === 1 && known.diagnostics[0]!.message === result.reason) return undefined;
    log.warn('manifest file not read', { file: rel, reason: result.reason });
    const diagnostics: Diagnostic[] = [{ severity: 'error', object: { kind: 'File', name: rel }, field: 'file', message: result.reason }];
    return { state: { stamp: result.stamp, text: known?.text ?? '', diagnostics, objects: known?.objects ?? 0, refused: true } };
  }
  if (known?.text === result.text && !known.refused) {
    known.stamp = result.stamp;
    return undefined;
  }
  const parsed = parseManifests(result.text, rel);
  if (parsed.failed) {
    log.warn('manifest file does not parse; its previous contents stay in force', { file: rel, problems: parsed.diagnostics.map((d) => d.message) });
    return { state: { stamp: result.stamp, text: result.text, diagnostics: parsed.diagnostics, objects: known?.objects ?? 0 } };
  }
  return {
    state: { stamp: result.stamp, text: result.text, diagnostics: parsed.diagnostics, objects: parsed.objects.length },
    objects: parsed.objects,
    fields: parsed.fields,
  };
}
