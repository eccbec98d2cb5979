// How the file source reads and watches its folder; the defaults are the command line's.

export interface FileSourceOptions {
  /**
   * File events are not always delivered (some sandboxes and network file systems have no inotify).
   * Where none arrive, every folder is stat'ed on this period: a file created, removed or replaced
   * (editors, git, kubectl and ConfigMap volumes all replace files) changes its folder.
   */
  pollMs?: number;
  /**
   * Where no file events arrive, every file is also stat'ed at least this often, a slice per poll, for
   * edits written in place (which leave the folder as it was); files changed in the last minute are
   * stat'ed on every poll.
   */
  sweepMs?: number;
  /** Where file events do arrive, the safety net looks at the folders and a slice of the files this often. */
  restPollMs?: number;
  /** Whether this machine delivers file events; probed in a temporary folder when not given. */
  fileEvents?: boolean;
  /** Watch the folder for file events (default true); without, it is polled every pollMs. */
  watch?: boolean;
  /** Larger files are not read (`--max-file-bytes`). */
  maxFileBytes?: number;
  /** How long a folder must stay empty before its objects are removed. */
  confirmEmptyMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CONFIRM_EMPTY_MS = 5000;
