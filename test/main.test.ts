// The command line as people run it: help, mistakes, a port clash, and npm start stopped by SIGTERM.

import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/local/http.js';
import { waitFor } from '../src/local/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = path.join(root, 'dist', 'src', 'main.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe('main (the command line)', () => {
  it('--help prints the usage to stdout and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^usage: splitplane/);
    expect(r.stderr).to.equal('');
  });

  it('a bad flag prints what is wrong to stderr and exits 2', async () => {
    const r = await run(['--xds-port', 'abc']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--xds-port "abc" is not a port number/);
  });

  it('--manifests naming a file says it is a file', async () => {
    const r = await run(['--manifests', path.join(root, 'package.json'), '--xds-port', '0', '--admin-port', '0']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('is a file, not a folder');
  });

  it('a port clash is one structured line per problem, no stray grpc-js text', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await run(['--xds-host', '127.0.0.1', '--xds-port', String(port), '--admin-port', '0']);
      expect(r.code).to.equal(1);
      const lines = r.stderr.trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line), line).to.not.throw();
      expect(lines.map((l) => JSON.parse(l).msg)).to.include('splitplane could not start');
    } finally {
      blocker.close();
    }
  });

  it('npm start stops cleanly on SIGTERM: no orphaned process keeps the ports', async function () {
    const xds = await freePort();
    const admin = await freePort();
    const log = fs.openSync(path.join(os.tmpdir(), `splitplane-npm-start-${process.pid}.log`), 'w');
    // --ignore-scripts skips the prestart build (done already by npm test), not the start script.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--', '--xds-host', '127.0.0.1', '--xds-port', String(xds), '--admin-port', String(admin)], {
      cwd: root,
      stdio: ['ignore', log, log],
    });
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    try {
      await waitFor('splitplane to serve', async () => (await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => undefined))?.status === 200, 60_000);
      npm.kill('SIGTERM');
      await exited;
      await waitFor('both ports to be released', async () => !(await accepting(admin)) && !(await accepting(xds)), 30_000);
    } finally {
      npm.kill('SIGKILL');
      fs.closeSync(log);
    }
  });
});
