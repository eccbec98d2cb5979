// Reading one manifest file without letting it hang or swamp the process: a FIFO named x.yaml would
// block a plain read until someone writes to it, and a link to /dev/zero would never end. The file is
// opened without blocking and checked with fstat (so a swap between check and read cannot fool it):
// only regular files are read, and only up to a size limit.

import fs from 'node:fs';

export type FileRead =
  { kind: 'unchanged' } | { kind: 'gone' } | { kind: 'refused'; stamp: string; reason: string } | { kind: 'read'; stamp: string; text: string };

/** Reads `file` unless its stamp (inode, size, mtime) is still `knownStamp`. */
export function readRegularFile(file: string, maxBytes: number, knownStamp?: string): FileRead {
  // The folder is polled: an unchanged file costs one stat (which never blocks, whatever the file is).
  try {
    if (stampOf(fs.statSync(file)) === knownStamp) return { kind: 'unchanged' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return { kind: 'gone' };
    return { kind: 'refused', stamp: `error:${code}`, reason: `cannot be opened (${code}); its previous contents stay in force` };
  }
  try {
    const st = fs.fstatSync(fd);
    const stamp = stampOf(st);
    if (stamp === knownStamp) return { kind: 'unchanged' };
    if (!st.isFile()) {
      return {
        kind: 'refused',
        stamp,
        reason: `is ${fileType(st)}, not a regular file: only regular files (or links to them) are read, so nothing in it is served`,
      };
    }
    if (st.size > maxBytes) return { kind: 'refused', stamp, reason: tooLarge(st.size, maxBytes) };
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return { kind: 'refused', stamp, reason: tooLarge(length, maxBytes) };
      if (length === buffer.length) break;
    }
    return { kind: 'read', stamp, text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { kind: 'refused', stamp: `error:${code}`, reason: `cannot be read (${code}); its previous contents stay in force` };
  } finally {
    fs.closeSync(fd);
  }
}

export function stampOf(st: fs.Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function tooLarge(size: number, maxBytes: number): string {
  return `is ${size} bytes, more than the limit of ${maxBytes} (--max-file-bytes); it is not read, and its previous contents stay in force`;
}

function fileType(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'a special file';
}
