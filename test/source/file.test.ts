import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { FileSource, fileEventsArrive } from '../../src/source/file.js';
import type { Service } from '../../src/objects/kube.js';
import { ObjectStore } from '../../src/store/store.js';
import { waitFor } from '../../src/local/wait.js';

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

  const names = () =>
    store
      .list('Service')
      .map((s) => s.metadata.name)
      .sort();
  const start = () => {
    source = new FileSource(dir, store, silentLogger, { pollMs: 50 });
    source.start(() => changes++);
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
    expect(source.diagnostics()[0]!.object).to.deep.equal({ kind: 'File', name: 'a.yaml' });
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
    source = new FileSource(path.join(dir, 'nope'), store, silentLogger);
    expect(() => source.start()).to.throw(/--manifests/);
  });

  it('--manifests naming a file says it is a file, and names its folder', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    source = new FileSource(path.join(dir, 'a.yaml'), store, silentLogger);
    expect(() => source.start()).to.throw(/is a file, not a folder.*--manifests/);
  });

  const fileErrors = () =>
    source
      .diagnostics()
      .filter((d) => d.severity === 'error')
      .map((d) => [d.object.kind, d.object.name, d.field]);

  it('a FIFO named x.yaml is a diagnostic, never a read that blocks', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    execFileSync('mkfifo', [path.join(dir, 'x.yaml')]);
    start();
    expect(names()).to.deep.equal(['a']);
    expect(fileErrors()).to.deep.equal([['File', 'x.yaml', 'file']]);
    expect(source.diagnostics()[0]!.message).to.match(/FIFO/);
  });

  it('a link to /dev/zero is a diagnostic, never an endless read; a link to a regular file is read', () => {
    fs.writeFileSync(path.join(dir, 'real.txt'), svc('linked'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    fs.symlinkSync(path.join(dir, 'real.txt'), path.join(dir, 'link.yaml'));
    const rss = process.memoryUsage().rss;
    start();
    expect(names()).to.deep.equal(['linked']);
    expect(fileErrors()).to.deep.equal([['File', 'zero.yaml', 'file']]);
    expect(process.memoryUsage().rss - rss).to.be.below(100 * 1024 * 1024);
  });

  it('a file over the size limit is not read, and says which flag raises the limit', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    source = new FileSource(dir, store, silentLogger, { pollMs: 50, maxFileBytes: 200 });
    source.start(() => changes++);
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a') + '# ' + 'x'.repeat(300) + '\n');
    await waitFor('the size diagnostic', () => fileErrors().length === 1, 15_000);
    expect(source.diagnostics()[0]!.message).to.contain('--max-file-bytes');
    expect(names(), 'the previous contents stay').to.deep.equal(['a']);
    // Back to the very text it had: read again, and the diagnostic goes.
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    await waitFor('the diagnostic to clear', () => source.diagnostics().length === 0, 15_000);
  });

  it('a YAML alias bomb fails its file quickly; the previous contents stay', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    start();
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let last = 'a';
    for (const n of 'bcdefghi') {
      bomb += `${n}: &${n} [${Array(9)
        .fill('*' + last)
        .join(',')}]\n`;
      last = n;
    }
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      svc('a') +
        'data:\n' +
        bomb
          .split('\n')
          .map((l) => '  ' + l)
          .join('\n'),
    );
    const started = Date.now();
    source.scan();
    expect(Date.now() - started).to.be.below(5000);
    expect(fileErrors()).to.deep.equal([['File', 'a.yaml', 'documents']]);
    expect(source.diagnostics()[0]!.message).to.match(/aliases/);
    expect(names()).to.deep.equal(['a']);
  });

  it('a folder renamed away, or replaced by a file, keeps the last state with an error', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    start();
    const moved = dir + '-moved';
    fs.renameSync(dir, moved);
    try {
      source.scan();
      expect(names()).to.deep.equal(['a']);
      expect(fileErrors()).to.deep.equal([['Folder', dir, '--manifests']]);
      fs.writeFileSync(dir, 'not a folder');
      source.scan();
      expect(names()).to.deep.equal(['a']);
      expect(fileErrors()).to.deep.equal([['Folder', dir, '--manifests']]);
      fs.rmSync(dir);
    } finally {
      fs.renameSync(moved, dir);
    }
    source.scan();
    expect(fileErrors()).to.deep.equal([]);
    expect(names()).to.deep.equal(['a']);
  });

  it('a folder that turns empty is emptied only when a scan after the grace period confirms it', () => {
    let now = 0;
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    source = new FileSource(dir, store, silentLogger, { pollMs: 60_000, confirmEmptyMs: 5000, now: () => now });
    source.start(() => changes++);
    fs.rmSync(path.join(dir, 'a.yaml'));
    fs.rmSync(path.join(dir, 'b.yaml'));
    source.scan();
    expect(names(), 'held').to.deep.equal(['a', 'b']);
    expect(source.diagnostics().map((d) => d.severity)).to.deep.equal(['warning']);
    now = 3000;
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    source.scan();
    expect(names(), 'a folder refilled in time: only what is really gone goes').to.deep.equal(['b']);
    expect(source.diagnostics()).to.deep.equal([]);
    fs.rmSync(path.join(dir, 'b.yaml'));
    now = 4000;
    source.scan();
    now = 8000;
    source.scan();
    expect(names(), 'not yet confirmed').to.deep.equal(['b']);
    now = 9000;
    source.scan();
    expect(names(), 'confirmed').to.deep.equal([]);
  });

  it('an object defined again in another file is an error on both, and the live one stays', async () => {
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('a').replace('port: 80', 'port: 81'));
    start();
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    await waitFor('the conflict', () => store.conflicts().length === 2, 15_000);
    expect(store.list<Service>('Service')[0]!.spec.ports![0]!.port).to.equal(81);
    expect(
      store
        .conflicts()
        .map((d) => d.object.name)
        .sort(),
    ).to.deep.equal(['a.yaml', 'b.yaml']);
  });

  it('without file events, polling sees a change', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    source = new FileSource(dir, store, silentLogger, { watch: false, pollMs: 50 });
    source.start(() => changes++);
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    await waitFor('b by polling', () => names().includes('b'), 15_000);
  });

  describe('without file events', () => {
    let counting: FileSource;
    const startPolling = (options: { sweepMs?: number } = {}) => {
      counting = new FileSource(dir, store, silentLogger, { watch: false, pollMs: 20, restPollMs: 60_000, ...options });
      source = counting;
      counting.start(() => changes++);
    };

    it('a quiet folder is looked at, not scanned: no full scan while nothing changes', async () => {
      for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `s${i}.yaml`), svc(`s${i}`));
      startPolling({ sweepMs: 100 });
      const start = Date.now();
      await waitFor('half a second of polls', () => Date.now() - start >= 500, 5_000);
      expect(counting.scans.full, 'full scans: the first one only').to.equal(1);
    });

    it('a file written in place (its folder unchanged) is seen by the sweep', async () => {
      fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
      fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
      startPolling({ sweepMs: 100 });
      const folder = fs.statSync(dir).mtimeMs;
      fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a2'));
      expect(fs.statSync(dir).mtimeMs, 'the folder itself did not change').to.equal(folder);
      await waitFor('a2 by the sweep', () => names().includes('a2'), 15_000);
    });

    it('a file replaced by a rename (as editors, git and ConfigMap volumes do) is seen by its folder', async () => {
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'a.yaml'), svc('a'));
      // A sweep slower than the test: only the folder's change can reveal the edit.
      startPolling({ sweepMs: 600_000 });
      fs.writeFileSync(path.join(dir, 'sub', '.a.yaml.tmp'), svc('renamed'));
      fs.renameSync(path.join(dir, 'sub', '.a.yaml.tmp'), path.join(dir, 'sub', 'a.yaml'));
      await waitFor('the renamed file', () => names().includes('renamed'), 15_000);
    });

    it('a file changed recently is looked at on every poll', async () => {
      fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
      startPolling({ sweepMs: 600_000 });
      fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
      await waitFor('b, by its folder', () => names().includes('b'), 15_000);
      // b is hot now: edited in place, it is seen without waiting for the (ten-minute) sweep.
      fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b2'));
      await waitFor('b2, a hot file', () => names().includes('b2'), 15_000);
    });
  });

  it('with file events, a change is seen at once while the safety-net poll sleeps', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
    source = new FileSource(dir, store, silentLogger, { fileEvents: true, pollMs: 60_000, restPollMs: 60_000 });
    source.start(() => changes++);
    const started = Date.now();
    fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
    await waitFor('b by a file event', () => names().includes('b'), 15_000);
    expect(Date.now() - started).to.be.below(10_000);
  });

  describe('with file events, only what the events name is read', () => {
    const startWithEvents = () => {
      source = new FileSource(dir, store, silentLogger, { fileEvents: true, pollMs: 60_000, restPollMs: 60_000 });
      source.start(() => changes++);
    };

    it('an edit, an addition and a removal read the named files alone, never the whole folder', async () => {
      for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `s${i}.yaml`), svc(`s${i}`));
      startWithEvents();
      const full = source.scans.full;
      fs.writeFileSync(path.join(dir, 's7.yaml'), svc('s7-edited'));
      await waitFor('s7 edited', () => names().includes('s7-edited'), 15_000);
      fs.writeFileSync(path.join(dir, 'new.yaml'), svc('new'));
      await waitFor('new added', () => names().includes('new'), 15_000);
      fs.rmSync(path.join(dir, 's8.yaml'));
      await waitFor('s8 removed', () => !names().includes('s8'), 15_000);
      expect(source.scans.full).to.equal(full);
      expect(source.scans.named).to.be.at.least(3);
      expect(names()).to.have.length(50);
    });

    it("entries that are never read (an editor's swap file, vim's 4913 probe, notes) cause no scan at all", async () => {
      fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
      startWithEvents();
      const before = { ...source.scans };
      fs.writeFileSync(path.join(dir, '.a.yaml.swp'), 'x');
      fs.writeFileSync(path.join(dir, '4913'), '');
      fs.writeFileSync(path.join(dir, 'notes.txt'), svc('c'));
      // A manifest written last: once it is read, the events before it have been handled.
      fs.writeFileSync(path.join(dir, 'b.yaml'), svc('b'));
      await waitFor('b', () => names().includes('b'), 15_000);
      expect(source.scans.full).to.equal(before.full);
      expect(names()).to.deep.equal(['a', 'b']);
    });

    it('a new subfolder is read whole, and its files are watched from then on', async () => {
      fs.writeFileSync(path.join(dir, 'a.yaml'), svc('a'));
      startWithEvents();
      fs.mkdirSync(path.join(dir, 'team'));
      fs.writeFileSync(path.join(dir, 'team', 'b.yaml'), svc('b'));
      await waitFor('b, in a new subfolder', () => names().includes('b'), 15_000);
      fs.writeFileSync(path.join(dir, 'team', 'b.yaml'), svc('b2'));
      await waitFor('b edited in the subfolder', () => names().includes('b2'), 15_000);
    });

    it("a ConfigMap volume's `..data` swap, which names only hidden entries, is read by a full scan", async () => {
      // How the kubelet updates a mounted ConfigMap: files are links through ..data, which is swapped.
      const version = (name: string, content: string) => {
        fs.mkdirSync(path.join(dir, name));
        fs.writeFileSync(path.join(dir, name, 'svc.yaml'), content);
      };
      version('..v1', svc('before'));
      fs.symlinkSync('..v1', path.join(dir, '..data'));
      fs.symlinkSync(path.join('..data', 'svc.yaml'), path.join(dir, 'svc.yaml'));
      startWithEvents();
      expect(names()).to.deep.equal(['before']);
      const full = source.scans.full;
      version('..v2', svc('after'));
      fs.symlinkSync('..v2', path.join(dir, '..data_tmp'));
      fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      await waitFor('the swapped content', () => names().join() === 'after', 15_000);
      expect(source.scans.full).to.be.above(full);
    });
  });

  it('this machine delivers file events to a watched temporary folder (what the probe checks)', async () => {
    expect(await fileEventsArrive(2000)).to.be.a('boolean');
  });
});
