// The file source, the embedded default: a folder of YAML manifests, watched. Adding, editing and
// deleting files applies live. The folder is input like any other, and can be turned against the data
// by accident: so only regular files are read, each up to a size limit; a file that does not parse
// keeps its previous objects; a folder that is missing or unreadable keeps the last state; and a scan
// that would remove every object is applied only once a later scan confirms it.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { ObjectStore } from '../store/store.js';
import { fileEventsArrive, watchFolders } from './file-events.js';
import { DEFAULT_CONFIRM_EMPTY_MS, DEFAULT_MAX_FILE_BYTES, type FileSourceOptions } from './file-options.js';

export type { FileSourceOptions };
import { MANIFEST_FILE, folderStamp, listManifests } from './listing.js';
import { reason } from '../objects/result.js';
import { stampOf } from './read-file.js';
import { readManifestFile, type FileState, type FileUpdate } from './manifest-file.js';
import type { Source } from './source.js';

export { fileEventsArrive };

export class FileSource implements Source {
  private readonly files = new Map<string, FileState>();
  /** One watch per folder: Node's recursive watch on Linux adds a JS layer that costs CPU at rest. */
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private watching = false;
  private poller: NodeJS.Timeout | undefined;
  /** True while file events are trusted: then the folder is polled only every restPollMs. */
  private eventsArrive = false;
  private readonly restPollMs: number;
  private rescanTimer: NodeJS.Timeout | undefined;
  /** Why the folder itself cannot be read, while it cannot. */
  private folderProblem: Diagnostic | undefined;
  /** When a scan first found nothing left to serve; cleared when objects come back. */
  private emptySince: number | undefined;
  private readonly pollMs: number;
  private readonly sweepMs: number;
  /** Without file events: each folder's stamp at the last scan, the files to sweep, the recently changed. */
  private folders = new Map<string, string>();
  private sweep: Array<[full: string, rel: string]> = [];
  private sweepAt = 0;
  private readonly hot = new Map<string, { rel: string; until: number }>();
  private lastFullScan = 0;
  private readonly maxFileBytes: number;
  private readonly confirmEmptyMs: number;
  private readonly now: () => number;
  private stopped = false;
  /** Scans so far: of the whole folder, and of only the files events named (for tests and benchmarks). */
  readonly scans = { full: 0, named: 0 };
  private onChange: () => void = () => undefined;
  private scanned = false;

  constructor(
    readonly dir: string,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly options: FileSourceOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.sweepMs = Math.max(options.sweepMs ?? 2000, this.pollMs);
    this.restPollMs = options.restPollMs ?? 10_000;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.confirmEmptyMs = options.confirmEmptyMs ?? DEFAULT_CONFIRM_EMPTY_MS;
    this.now = options.now ?? Date.now;
  }

  /** Reads the folder once and starts watching it; `changed` is called after every scan that changed the store. */
  start(changed: () => void = () => undefined): void {
    this.onChange = changed;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.dir);
    } catch {
      throw new Error(`manifest folder ${this.dir} does not exist: pass --manifests DIR with a folder of YAML files`);
    }
    if (!stat.isDirectory())
      throw new Error(`--manifests ${this.dir} is a file, not a folder: pass the folder that holds it (--manifests ${path.dirname(this.dir)})`);
    this.scan();
    this.scanned = true;
    if (this.options.watch === false) return this.schedulePoll();
    try {
      this.watching = true;
      this.watchFolders();
      // Polling 2,000 files four times a second costs tens of ms of CPU per second: where file events
      // arrive, it is only a rare safety net.
      if (this.options.fileEvents !== undefined) this.trustEvents(this.options.fileEvents, 'as configured');
      else void fileEventsArrive().then((arrive) => this.trustEvents(arrive, arrive ? 'file events arrive on this machine' : 'no file events on this machine'));
    } catch (error) {
      this.log.warn('cannot watch the manifest folder; polling it instead', { dir: this.dir, error: String(error) });
    }
    this.schedulePoll();
  }

  stop(): void {
    this.stopped = true;
    this.watching = false;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    if (this.poller) clearTimeout(this.poller);
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
  }

  notReady(): string | undefined {
    return this.scanned ? undefined : `the manifest folder ${this.dir} has not been read yet`;
  }

  diagnostics(): Diagnostic[] {
    const out = [...this.files.values()].flatMap((f) => f.diagnostics);
    if (this.folderProblem) out.push(this.folderProblem);
    if (this.emptySince !== undefined) {
      out.push({
        severity: 'warning',
        object: { kind: 'Folder', name: this.dir },
        field: '--manifests',
        message: `holds no objects any more; everything it served keeps serving until a scan ${this.confirmEmptyMs / 1000} s later confirms the folder is really empty (a folder being replaced is briefly empty)`,
      });
    }
    return out;
  }

  /** Reads what changed since the last scan into the store; calls onChange when anything did. */
  scan(): boolean {
    this.scans.full++;
    this.lastFullScan = performance.now();
    this.named.clear();
    const listed = listManifests(this.dir);
    if (!listed.ok) return this.folderUnreadable(reason(listed));
    const listing = listed.value;
    this.folders = new Map(listing.folders.map((d) => [d, folderStamp(d)]));
    if (this.watching) this.watchFolders();
    this.sweep = listing.files;
    let changed = false;
    if (this.folderProblem) {
      this.log.info('the manifest folder can be read again', { dir: this.dir });
      this.folderProblem = undefined;
      changed = true;
    }
    const updates = new Map<string, FileUpdate>();
    const seen = new Set<string>();
    for (const [file, rel] of listing.files) {
      seen.add(rel);
      const update = this.read(file, rel);
      if (update) updates.set(rel, update);
    }
    for (const rel of this.files.keys()) {
      // Files under a subfolder that cannot be read now are kept as they were.
      if (!seen.has(rel) && !listing.unreadable.some((d) => rel.startsWith(d + path.sep))) updates.set(rel, null);
    }
    return this.apply(updates, changed);
  }

  /**
   * Reads only the files that file events named: an edit costs one read, not a stat of every file
   * (20,000 at 10,000 Ingresses). Anything else an event can mean (a folder, a hidden entry such as a
   * ConfigMap's `..data` swap, a file that is now something else) is left to a full scan.
   */
  private scanNamed(): boolean {
    this.scans.named++;
    const named = [...this.named];
    this.named.clear();
    if (this.folderProblem) return this.scan();
    const updates = new Map<string, FileUpdate>();
    for (const full of named) {
      const rel = path.relative(this.dir, full);
      const st = fs.statSync(full, { throwIfNoEntry: false });
      if (!st) {
        if (this.files.has(rel)) updates.set(rel, null);
        continue;
      }
      if (st.isDirectory()) return this.scan();
      const update = this.read(full, rel);
      if (update) updates.set(rel, update);
    }
    return this.apply(updates, false);
  }

  /** Files named by events since the last scan (absolute paths of manifest files), read by scanNamed. */
  private readonly named = new Set<string>();
  /** An event that named no file, or one a full scan must look at: the next scan reads everything. */
  private fullScanDue = false;

  private apply(updates: Map<string, FileUpdate>, changed: boolean): boolean {
    if (updates.size === 0) return changed && this.notify();

    // Would this scan take away everything? A folder being replaced (renamed away and back, a ConfigMap
    // swap, a checkout) is briefly empty: hold the removal until a later scan confirms it.
    let after = 0;
    for (const [rel, state] of this.files) if (!updates.has(rel)) after += state.objects;
    for (const update of updates.values()) after += update?.state.objects ?? 0;
    const before = [...this.files.values()].reduce((n, f) => n + f.objects, 0);
    if (after === 0 && before > 0) {
      const now = this.now();
      if (this.emptySince === undefined) {
        this.emptySince = now;
        this.log.warn('the manifest folder holds no objects any more; keeping what is served until a later scan confirms it', {
          dir: this.dir,
          confirmAfterMs: this.confirmEmptyMs,
        });
        return this.notify();
      }
      if (now - this.emptySince < this.confirmEmptyMs) return changed && this.notify();
      this.log.warn('the manifest folder is still empty; removing everything it served', { dir: this.dir });
    }
    if (this.emptySince !== undefined) changed = true;
    this.emptySince = undefined;

    for (const [rel, update] of updates) {
      // Files that change after the first read are likely to change again soon (someone is editing).
      if (update && this.scanned) this.hot.set(path.join(this.dir, rel), { rel, until: performance.now() + HOT_MS });
      if (update === null) {
        this.files.delete(rel);
        this.store.deleteSource(`file:${rel}`);
        changed = true;
        continue;
      }
      const known = this.files.get(rel);
      const hadDiagnostics = (known?.diagnostics.length ?? 0) > 0 || update.state.diagnostics.length > 0;
      this.files.set(rel, update.state);
      changed ||= hadDiagnostics;
      if (update.objects) changed = this.store.replaceSource(`file:${rel}`, update.objects, update.fields) || changed;
    }
    return changed && this.notify();
  }

  private notify(): true {
    this.onChange();
    return true;
  }

  private read(file: string, rel: string): FileUpdate | undefined {
    return readManifestFile(file, rel, this.files.get(rel), this.maxFileBytes, this.log);
  }

  private folderUnreadable(error: string): boolean {
    const message = `${error}; everything read from it before keeps serving until it can be read again`;
    if (this.folderProblem?.message === message) return false;
    this.log.error('the manifest folder cannot be read; keeping the last state', { dir: this.dir, error });
    this.folderProblem = { severity: 'error', object: { kind: 'Folder', name: this.dir }, field: '--manifests', message };
    return this.notify();
  }

  // Editors write a file in several steps; a short pause turns them into one scan. That pause is the
  // only wait in file mode: the rebuild after it starts at once (the controller's leading edge).
  private scheduleScan(folder?: string, filename?: string | null): void {
    const what = folder === undefined || !filename ? 'folder' : this.eventOn(folder, filename);
    if (what === 'nothing') return;
    if (what === 'folder' || this.named.size >= MAX_NAMED_FILES) this.fullScanDue = true;
    else this.named.add(path.join(folder!, filename!));
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      const full = this.fullScanDue;
      this.fullScanDue = false;
      this.safeScan(!full);
    }, EVENT_QUIET_MS);
  }

  /**
   * What an event on `folder/filename` asks for: a manifest file is read alone; a folder (new, removed or
   * renamed), or a `..` entry (a ConfigMap volume swaps `..data` under its links), needs a full scan; any
   * other entry is never read (vim's `4913` probe, `.x.yaml.swp`, `notes.txt`) and costs nothing.
   */
  private eventOn(folder: string, filename: string): 'file' | 'folder' | 'nothing' {
    if (!this.folders.has(folder) || filename.includes(path.sep) || filename.startsWith('..')) return 'folder';
    if (filename.startsWith('.')) return 'nothing';
    const full = path.join(folder, filename);
    if (this.folders.has(full)) return 'folder';
    if (MANIFEST_FILE.test(filename)) return 'file';
    return fs.statSync(full, { throwIfNoEntry: false })?.isDirectory() ? 'folder' : 'nothing';
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    if (this.poller) clearTimeout(this.poller);
    this.poller = setTimeout(
      () => {
        // Without file events, a cheap look (folders, recently changed files, a slice of the rest) says
        // whether a full scan is needed; a full scan still runs every minute as a safety net.
        // With file events, the rare safety-net look covers every file at once.
        const full =
          performance.now() - this.lastFullScan >= (this.eventsArrive ? REST_SAFETY_SCAN_MS : SAFETY_SCAN_MS) || this.somethingMoved(this.eventsArrive);
        // A change found by polling that no file event announced: events are not to be trusted here.
        if (full && this.safeScan() && this.eventsArrive && !this.rescanTimer) this.trustEvents(false, 'a change arrived without a file event');
        this.schedulePoll();
      },
      this.eventsArrive ? this.restPollMs : this.pollMs,
    );
    this.poller.unref();
  }

  private trustEvents(arrive: boolean, why: string): void {
    if (this.eventsArrive === arrive) return;
    this.eventsArrive = arrive;
    this.log.info(arrive ? 'file events arrive: the folder is polled only as a safety net' : 'file events do not arrive: polling the folder', {
      dir: this.dir,
      why,
      pollMs: arrive ? this.restPollMs : this.pollMs,
    });
    this.schedulePoll();
  }

  /** A watch on every folder of the last scan (new subfolders are found by the scan their creation causes). */
  private watchFolders(): void {
    watchFolders(this.watchers, this.folders.keys(), this.dir, {
      event: (folder, filename) => {
        this.trustEvents(true, 'a file event arrived');
        this.scheduleScan(folder, filename);
      },
      failed: (folder, error) => {
        // The folder itself going away is seen by the scan; anything else means events cannot be trusted.
        if (folder === this.dir || fs.existsSync(folder)) {
          this.log.warn('watching the manifest folder failed; polling it instead', { dir: folder, error: String(error) });
          this.trustEvents(false, 'the watch failed');
        }
        this.scheduleScan();
      },
    });
  }

  /**
   * Whether a folder, a recently changed file or the next slice of files differs from the last scan.
   * At rest (file events trusted) the slice is small: the whole folder is looked at every
   * REST_SWEEP_MS, so 20,000 files cost a few stats a second, not 20,000 every ten seconds.
   */
  private somethingMoved(atRest: boolean): boolean {
    try {
      for (const [folder, stamp] of this.folders) if (folderStamp(folder) !== stamp) return true;
      const now = performance.now();
      for (const [full, { rel, until }] of this.hot) {
        if (until < now) this.hot.delete(full);
        else if (this.fileMoved(full, rel)) return true;
      }
      const n = this.sweep.length;
      const slice = Math.min(n, Math.ceil(atRest ? (n * this.restPollMs) / REST_SWEEP_MS : (n * this.pollMs) / this.sweepMs));
      for (let i = 0; i < slice; i++) {
        const [full, rel] = this.sweep[this.sweepAt++ % n]!;
        if (this.fileMoved(full, rel)) return true;
      }
      return false;
    } catch {
      return true;
    }
  }

  private fileMoved(full: string, rel: string): boolean {
    const known = this.files.get(rel)?.stamp;
    // A file that could not be opened is retried by the safety-net scan, not on every poll.
    if (known === undefined || known.startsWith('error:')) return false;
    const st = fs.statSync(full, { throwIfNoEntry: false });
    return !st || stampOf(st) !== known;
  }

  // Scans run from timers: an exception there would end the process, and with it what is served.
  private safeScan(namedOnly = false): boolean {
    try {
      return namedOnly ? this.scanNamed() : this.scan();
    } catch (error) {
      this.log.error('scanning the manifest folder failed; the last state keeps serving (a splitplane bug, please report it)', {
        dir: this.dir,
        error: String(error instanceof Error ? error.stack : error),
      });
      return false;
    }
  }
}

/** Quiet after the last file event before the files are read (a file written in steps is read once, whole). */
const EVENT_QUIET_MS = 10;

/** More files named by events before one scan than this, and the whole folder is scanned. */
const MAX_NAMED_FILES = 256;

/** Without file events, a full scan still runs this often (files that could not be opened, say). */
const SAFETY_SCAN_MS = 60_000;

/** With file events, the safety net's full scan runs this rarely, and its sweep covers every file this often. */
const REST_SAFETY_SCAN_MS = 600_000;
const REST_SWEEP_MS = 300_000;

/** How long a changed file is stat'ed on every poll when no file events arrive. */
const HOT_MS = 60_000;
