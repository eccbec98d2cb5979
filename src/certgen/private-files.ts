// Writing keys where a hostile local user cannot redirect or read them. A plain writeFileSync follows a
// link planted at the target (a dangling `ca.key` → a file of the attacker's choosing gets the CA key)
// and writes into an existing file in place, keeping its owner (another user who pre-created `ca.key`
// reads the new key). So: the folder is made 0700 and must not be open to others; each file is written
// to a fresh name opened with O_CREAT|O_EXCL|O_NOFOLLOW, and renamed over the target, which replaces a
// link or a foreign file rather than writing through it.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertgenError } from './errors.js';

/** Makes `dir` (0700) or checks an existing one: a folder, not writable by group or others. */
export function privateFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new CertgenError(`${dir} is not a folder: choose another --out`);
  if ((st.mode & 0o022) !== 0)
    throw new CertgenError(
      `${dir} can be written by other users (mode ${(st.mode & 0o777).toString(8)}): they could swap the keys; chmod 700 it or choose another --out`,
    );
}

/** Whether a name is taken in the folder: a file, a folder, or a link (even a dangling one). */
export function taken(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes `text` as a new file at `file` with `mode`, replacing whatever entry is there without following it. */
export function writeNewFile(file: string, text: string, mode: number): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
  try {
    fs.writeSync(fd, text);
    fs.fchmodSync(fd, mode); // the umask may have taken bits away; never added any
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new CertgenError(`cannot replace ${file} (${code}): ${code === 'EISDIR' ? 'it is a folder' : 'remove it or choose another --out'}`);
  }
}
