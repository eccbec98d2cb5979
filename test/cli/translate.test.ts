// `splitplane translate` as a user runs it: the real CLI on manifest files, no server.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { EXAMPLE_DIR } from '../../src/local/example.js';
import type { Json } from '../support/json.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = path.join(root, 'dist', 'src', 'main.js');

function translate(...args: string[]) {
  const r = spawnSync(process.execPath, [main, 'translate', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the example with the Ingress rewritten. */
function example(edit: (ingress: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-translate-'));
  for (const file of fs.readdirSync(EXAMPLE_DIR)) fs.copyFileSync(path.join(EXAMPLE_DIR, file), path.join(dir, file));
  const ingress = path.join(dir, 'ingress.yaml');
  fs.writeFileSync(ingress, edit(fs.readFileSync(ingress, 'utf8')));
  return dir;
}

/** The example before the release: old-nginx alone, no weight annotation. */
const beforeRelease = (text: string) => {
  const withoutWeight = text.replace('  annotations:\n    ingress.aliyun.weight/new-nginx: "50"\n', '');
  return withoutWeight.slice(0, withoutWeight.indexOf('      - path: /\n        backend:\n          serviceName: new-nginx'));
};

describe('cli/translate', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('prints the Envoy resources for a folder of manifests: the 50/50 split, no diagnostics, exit 0', () => {
    const r = translate('-f', EXAMPLE_DIR);
    expect(r.status, r.stderr).to.equal(0);
    const out = load(r.stdout) as Json;
    expect(out.diagnostics).to.deep.equal([]);
    const vhost = out.resources.RDS[0].virtual_hosts.find((v: Json) => v.name === 'mini-echo.io');
    const weighted = vhost.routes[0].route.weighted_clusters.clusters.map((c: Json) => [c.name, c.weight.value]);
    expect(weighted).to.deep.equal([
      ['default/old-nginx/80', 5000],
      ['default/new-nginx/80', 5000],
    ]);
    expect(out.resources.CDS.map((c: Json) => c.name)).to.include('default/new-nginx/80');
  });

  it('-o json prints the same document as JSON', () => {
    const yaml = load(translate('-f', EXAMPLE_DIR).stdout);
    const r = translate('-f', EXAMPLE_DIR, '-o', 'json');
    expect(r.status).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal(yaml);
  });

  it('an invalid weight: the diagnostic names the object and the field, and the exit code is 1 (a CI gate before kubectl apply)', () => {
    const dir = example((t) => t.replace('"50"', '"fifty"'));
    dirs.push(dir);
    const r = translate('-f', dir);
    expect(r.status).to.equal(1);
    const out = load(r.stdout) as Json;
    expect(out.diagnostics[0]).to.match(
      /^error: Ingress default\/echo: metadata\.annotations\["ingress\.aliyun\.weight\/new-nginx"\]: "fifty" is not a percentage/,
    );
  });

  it('reads only regular files, as the server does: a FIFO, a link to /dev/zero and a file over the limit are errors, the rest is translated', () => {
    const dir = example((text) => text);
    dirs.push(dir);
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    fs.writeFileSync(path.join(dir, 'big.yaml'), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const r = translate('-f', dir, '-o', 'json');
    expect(r.status, r.stderr).to.equal(1);
    const out = JSON.parse(r.stdout) as { diagnostics: string[]; resources: Json };
    const about = (name: string) => out.diagnostics.find((d) => d.includes(`${name}.yaml`)) ?? '';
    expect(about('fifo')).to.contain('a FIFO (named pipe), not a regular file');
    expect(about('zero')).to.contain('a character device, not a regular file');
    expect(about('big')).to.contain('more than the limit of 4194304 (--max-file-bytes)');
    expect(out.resources.RDS[0].virtual_hosts.map((v: Json) => v.name)).to.include('mini-echo.io');
    expect(translate('-f', path.join(dir, 'big.yaml'), '--max-file-bytes', String(6 * 1024 * 1024)).status, 'a larger limit reads it').to.equal(0);
  });

  it('--diff OLD NEW says how traffic moves per host and path', () => {
    const old = example(beforeRelease);
    const hundred = example((t) => t.replace('"50"', '"100"'));
    dirs.push(old, hundred);
    const first = translate('--diff', old, EXAMPLE_DIR);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.equal('mini-echo.io/: old-nginx 100% → 50%, new-nginx 0% → 50%\n');
    const second = translate('--diff', EXAMPLE_DIR, hundred);
    expect(second.stdout).to.equal('mini-echo.io/: old-nginx 50% → 0%, new-nginx 50% → 100%\n');
    expect(translate('--diff', EXAMPLE_DIR, EXAMPLE_DIR).stdout).to.equal('no traffic moves\n');
  });

  it('--help goes to stdout with exit 0; a usage error goes to stderr with exit 2', () => {
    const help = translate('--help');
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: splitplane translate -f FILE\|DIR/);
    expect(help.stderr).to.equal('');
    const wrong = translate('--bogus');
    expect(wrong.status).to.equal(2);
    expect(wrong.stdout).to.equal('');
    expect(wrong.stderr).to.match(/^unknown flag --bogus/);
    expect(translate().status, 'no manifests named').to.equal(2);
  });
});
