import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { FileSource } from '../../src/source/file.js';
import { ObjectStore } from '../../src/store/store.js';
import { waitFor } from '../../src/demo/wait.js';

const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`;

describe('source/file', () => {
  let dir: string;
  let source: FileSource;
  let store: ObjectStore;
  let changes: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-files-'));
    store = new ObjectStore();
    changes = 0;
  });
  afterEach(() => {
    source?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const names = () => store.list('Service').map((s) => s.metadata.name).sort();
  const start = () => {
    source = new FileSource(dir, store, () => changes++, silentLogger, 50);
    source.start();
  };

  it('reads every YAML file, in subfolders too, and ignores other files', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'b.yml'), svc('b'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), svc('c'));
    fs.writeFileSync(path.join(dir, '.swap.yaml'), svc('d'));
    start();
    expect(names()).to.deep.equal(['a', 'b']);
  });

  it('applies additions, edits and deletions live', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    start();
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    await waitFor('b added', () => names().includes('b'), 15_000);
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b2'));
    await waitFor('b edited', () => names().join() === 'a,b2', 15_000);
    fs.rmSync(path.join(dir, 'a.yaml'));
    await waitFor('a deleted', () => names().join() === 'b2', 15_000);
    expect(changes).to.be.at.least(3);
  });

  it('a file that stops parsing keeps its previous objects and reports a diagnostic', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    start();
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: a\n');
    await waitFor('diagnostic', () => source.diagnostics().length > 0, 15_000);
    expect(names()).to.deep.equal(['a', 'b']);
    expect(source.diagnostics()[0].object).to.deep.equal({ kind: 'File', name: 'a.yaml' });
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a-fixed'));
    await waitFor('fixed', () => names().join() === 'a-fixed,b', 15_000);
    expect(source.diagnostics()).to.deep.equal([]);
  });

  it('an unchanged rewrite does not count as a change', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    start();
    const before = changes;
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    source.scan();
    expect(changes).to.equal(before);
  });

  it('a missing folder is an error that says what to pass', () => {
    source = new FileSource(path.join(dir, 'nope'), store, () => undefined, silentLogger);
    expect(() => source.start()).to.throw(/--manifests/);
  });
});
