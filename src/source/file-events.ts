// Whether this machine delivers file events (inotify): some sandboxes and network file systems never
// send one, and the file source then polls instead.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether file events arrive on this machine: a watch on a fresh temporary folder, one file written
 * into it, and an event within half a second. Some sandboxes and network file systems never send one.
 */
export async function fileEventsArrive(timeoutMs = 500): Promise<boolean> {
  let dir: string | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-events-'));
    const probe = dir;
    return await new Promise<boolean>((resolve) => {
      // The verdict waits for the poll phase after the timer: on a loop held up (the first build of a large
      // folder runs meanwhile), the timer and the event are due together, and the timers phase comes first.
      const timer = setTimeout(() => setImmediate(() => resolve(false)), timeoutMs);
      watcher = fs.watch(probe, () => {
        clearTimeout(timer);
        resolve(true);
      });
      watcher.on('error', () => resolve(false));
      fs.writeFileSync(path.join(probe, 'probe'), 'x');
    });
  } catch {
    return false;
  } finally {
    watcher?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Keeps one watch on each folder of `folders` in `watchers`, closing the watches of folders no longer
 * listed. `event` runs on any file event, with the folder and the entry's name when the system gives one; `failed` when a watch breaks (its watch is already closed).
 * A folder that cannot be watched is left to polling, except the root, which throws.
 */
export function watchFolders(
  watchers: Map<string, fs.FSWatcher>,
  folders: Iterable<string>,
  root: string,
  on: { event: (folder: string, filename: string | null) => void; failed: (folder: string, error: unknown) => void },
): void {
  const wanted = new Set(folders);
  for (const [folder, watcher] of watchers) {
    if (wanted.has(folder)) continue;
    watcher.close();
    watchers.delete(folder);
  }
  for (const folder of wanted) {
    if (watchers.has(folder)) continue;
    try {
      const watcher = fs.watch(folder, (_type, filename) => on.event(folder, typeof filename === 'string' ? filename : null));
      watcher.on('error', (error) => {
        watcher.close();
        watchers.delete(folder);
        on.failed(folder, error);
      });
      watchers.set(folder, watcher);
    } catch (error) {
      if (folder === root) throw error;
    }
  }
}
