// Listing a manifest folder: its YAML and JSON files (subfolders too, hidden entries skipped) and the
// folders walked, with a stamp per folder that changes when an entry in it is created, removed or
// renamed. Read by the file source on every scan.

import fs from 'node:fs';
import path from 'node:path';
import { byKey } from '../order.js';
import { failure, ok, type Result } from '../objects/result.js';

/** The files a folder's listing reads. */
export const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** A folder changes (inode, mtime, ctime) when an entry in it is created, removed or renamed. */
export function folderStamp(folder: string): string {
  const st = fs.statSync(folder, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.mtimeMs}:${st.ctimeMs}` : 'gone';
}

/** Manifest files under `dir`, sorted; subfolders that cannot be read are listed apart. */
// Paths are joined by hand: at thousands of files per scan, path.join and path.relative were a third
// of the scan's time.
export interface Listing {
  files: Array<[full: string, rel: string]>;
  folders: string[];
  unreadable: string[];
}

export function listManifests(dir: string): Result<Listing> {
  const files: Array<[string, string]> = [];
  const folders: string[] = [];
  const unreadable: string[] = [];
  try {
    if (!fs.statSync(dir).isDirectory()) return failure(`${dir} is no longer a folder`);
  } catch (error) {
    return failure(
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${dir} does not exist any more` : `${dir} cannot be read (${(error as Error).message})`,
    );
  }
  const walk = (d: string, rel: string): boolean => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return false;
    }
    folders.push(d);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // editor swap files, Kubernetes ConfigMap ..data links
      const full = d.endsWith(path.sep) ? d + e.name : d + path.sep + e.name;
      const under = rel === '' ? e.name : rel + path.sep + e.name;
      if (e.isDirectory()) {
        if (!walk(full, under)) unreadable.push(under);
      } else if (MANIFEST_FILE.test(e.name)) files.push([full, under]);
    }
    return true;
  };
  if (!walk(dir, '')) return failure(`${dir} cannot be read`);
  return ok({ files: files.sort(byKey(([name]) => name)), folders, unreadable });
}
