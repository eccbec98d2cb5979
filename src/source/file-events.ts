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
      const timer = setTimeout(() => resolve(false), timeoutMs);
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
