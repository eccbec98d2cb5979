// No Docker engine runs here, so the Dockerfile is checked by reading it against the repository.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../src/config.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const lines = fs
  .readFileSync(path.join(repo, 'Dockerfile'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('Dockerfile', () => {
  it('copies only paths that exist in the repository', () => {
    const copies = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).to.be.greaterThan(0);
    for (const line of copies) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(fs.existsSync(path.join(repo, source)), `${source} in "${line}"`).to.equal(true);
    }
  });

  it('starts the compiled entry point that npm start runs', () => {
    const entry = lines.find((l) => l.startsWith('ENTRYPOINT'))!;
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    // npm start is `exec node <entry>`: exec so that npm's SIGTERM reaches node itself.
    const script = pkg.scripts.start.replace(/^exec /, '').split(' ');
    expect(JSON.parse(entry.slice('ENTRYPOINT'.length))).to.deep.equal(['node', script[1]]);
    expect(fs.existsSync(path.join(repo, script[1])), 'built entry point').to.equal(true);
  });

  it('uses Node 20 and exposes the default xDS and admin ports', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).every((l) => l.includes('node:20'))).to.equal(true);
    const exposed = lines.filter((l) => l.startsWith('EXPOSE ')).flatMap((l) => l.split(/\s+/).slice(1).map(Number));
    expect(exposed).to.include.members([DEFAULTS.xdsPort, DEFAULTS.adminPort]);
  });

  it('builds in one stage and ships another: production dependencies only, a non-root user, node as PID 1', () => {
    const stages = lines.filter((l) => l.startsWith('FROM '));
    expect(stages.length).to.be.at.least(2);
    expect(
      lines.some((l) => /npm ci\b/.test(l)),
      'npm ci',
    ).to.equal(true);
    expect(
      lines.some((l) => /npm prune --omit=dev|npm ci .*--omit=dev/.test(l)),
      'dev dependencies left out',
    ).to.equal(true);
    const user = lines.filter((l) => l.startsWith('USER ')).pop();
    expect(user, 'a USER').to.be.a('string');
    expect(user!.split(/\s+/)[1]!.split(':')[0], 'non-root, by number').to.match(/^[1-9]\d*$/);
    const entry = lines.find((l) => l.startsWith('ENTRYPOINT'))!;
    expect(JSON.parse(entry.slice('ENTRYPOINT'.length))[0], 'exec form with node first: node is PID 1').to.equal('node');
    expect(
      lines.some((l) => l.startsWith('CMD') && l.includes('npm')),
      'no npm at run time',
    ).to.equal(false);
  });
});
