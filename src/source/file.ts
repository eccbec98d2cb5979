// The file source, the embedded default: a folder of YAML manifests, watched. Adding, editing and
// deleting files applies live. A file that does not parse is a diagnostic and its previous objects
// stay in force, so a half-saved edit never takes a route away.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { ObjectStore } from '../store/store.js';
import { parseManifests } from './manifests.js';

interface FileState {
  stamp: string;
  text: string;
  diagnostics: Diagnostic[];
}

const MANIFEST = /\.(ya?ml|json)$/i;

export class FileSource {
  private readonly files = new Map<string, FileState>();
  private watcher: fs.FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly store: ObjectStore,
    private readonly onChange: () => void,
    private readonly log: Logger,
    /**
     * File events are not always delivered (some sandboxes and network file systems have no inotify,
     * editors replace files by rename), so a stat-only scan runs on this period as well.
     */
    private readonly pollMs = 250,
  ) {}

  /** Reads the folder once and starts watching it. */
  start(): void {
    if (!fs.existsSync(this.dir) || !fs.statSync(this.dir).isDirectory()) {
      throw new Error(`manifest folder ${this.dir} does not exist: pass --manifests DIR with a folder of YAML files`);
    }
    this.scan();
    this.watcher = fs.watch(this.dir, { recursive: true }, () => this.scheduleScan());
    this.watcher.on('error', (error) => this.log.warn('watching the manifest folder failed; falling back to polling', { dir: this.dir, error: String(error) }));
    this.poller = setInterval(() => this.scan(), this.pollMs);
    this.poller.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
  }

  diagnostics(): Diagnostic[] {
    return [...this.files.values()].flatMap((f) => f.diagnostics);
  }

  /** Reads what changed since the last scan into the store; calls onChange when anything did. */
  scan(): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const file of listManifests(this.dir)) {
      const rel = path.relative(this.dir, file);
      seen.add(rel);
      let stamp: string;
      try {
        const st = fs.statSync(file);
        stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        continue; // deleted between listing and stat; the next scan sees it gone
      }
      const known = this.files.get(rel);
      if (known?.stamp === stamp) continue;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      if (known?.text === text) {
        known.stamp = stamp;
        continue;
      }
      const parsed = parseManifests(text, rel);
      const hadDiagnostics = (known?.diagnostics.length ?? 0) > 0 || parsed.diagnostics.length > 0;
      this.files.set(rel, { stamp, text, diagnostics: parsed.diagnostics });
      if (parsed.failed) {
        this.log.warn('manifest file does not parse; its previous contents stay in force', { file: rel, problems: parsed.diagnostics.map((d) => d.message) });
        changed ||= hadDiagnostics;
        continue;
      }
      changed = this.store.replaceSource(`file:${rel}`, parsed.objects) || changed || hadDiagnostics;
    }
    for (const rel of [...this.files.keys()]) {
      if (seen.has(rel)) continue;
      this.files.delete(rel);
      this.store.deleteSource(`file:${rel}`);
      changed = true;
    }
    if (changed) this.onChange();
    return changed;
  }

  // Editors write a file in several steps; a short pause turns them into one scan.
  private scheduleScan(): void {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => this.scan(), 10);
  }
}

function listManifests(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // editor swap files, Kubernetes ConfigMap ..data links
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (MANIFEST.test(e.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}
