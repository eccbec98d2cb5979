// Rollout state in Kubernetes mode, on the fake API server: every replica watches the ConfigMap by name
// (a list, then a watch: nothing is read at rest, and the leader's write is seen at once); none yet reads
// as empty; the leader carries out a command the CLI left as an annotation and takes it away.

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { ConfigMapStateStore, writeCommand, type RolloutCommand } from '../../src/kube/rollout-states.js';
import { waitFor } from '../../src/local/wait.js';
import { silentLogger } from '../../src/log.js';
import type { StoredRollout } from '../../src/rollout/state-store.js';
import { FakeApiServer } from '../support/fake-apiserver.js';

const stored = (step: number): StoredRollout => ({
  group: 'mini-echo.io /',
  ingress: 'default/echo',
  state: {
    spec: 'new-nginx; steps=10,50,100',
    version: 'new-nginx',
    step,
    phase: 'progressing',
    appliedAt: null,
    failedChecks: 0,
    declared: '',
    reason: '',
    since: 0,
  },
});

describe('kube/rollout-states', () => {
  let api: FakeApiServer;
  let dir: string;
  let client: KubeClient;
  const stores: ConfigMapStateStore[] = [];
  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-rollout-states-'));
    const config = new KubeConfig();
    config.loadFromFile(api.writeKubeconfig(dir));
    client = new KubeClient(config);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) s.stop();
    client.close();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const store = (leader: boolean) => {
    const s = new ConfigMapStateStore(client, { namespace: 'splitplane', ingressClass: 'splitplane', isLeader: () => leader }, silentLogger);
    stores.push(s);
    return s;
  };

  it('none yet reads as empty; the leader’s writes reach a follower from the watch', async () => {
    const leader = store(true);
    const follower = store(false);
    let changes = 0;
    follower.onChange(() => changes++);
    leader.start();
    follower.start();
    await waitFor('both read', () => leader.loaded() && follower.loaded(), 10_000);
    expect(follower.states().size).to.equal(0);
    await leader.save(new Map([['mini-echo.io /', stored(1)]]));
    await waitFor('the follower has step 1', () => follower.states().get('mini-echo.io /')?.state.step === 1, 10_000);
    await leader.save(new Map([['mini-echo.io /', stored(2)]]));
    await waitFor('the follower has step 2', () => follower.states().get('mini-echo.io /')?.state.step === 2, 10_000);
    expect(changes).to.be.at.least(2);
    // Read by a list and then a watch, by name: never a poll of the object.
    const reads = api.requests.filter((r) => r.startsWith('GET /api/v1/namespaces/splitplane/configmaps?'));
    expect(reads.every((r) => r.includes('fieldSelector=metadata.name%3Dsplitplane-rollouts-splitplane'))).to.equal(true);
    expect(reads.filter((r) => r.includes('watch=true'))).to.have.length(2);
  });

  it('a command the CLI leaves on the ConfigMap is carried out by the leader and taken away at its next write', async () => {
    const leader = store(true);
    const commands: RolloutCommand[] = [];
    leader.onCommand((c) => commands.push(c));
    leader.start();
    await waitFor('read', () => leader.loaded(), 10_000);
    await leader.save(new Map([['mini-echo.io /', stored(1)]]));
    const key = await writeCommand(client, 'splitplane', 'splitplane', { ingress: 'default/echo', command: 'pause', at: 'now' });
    await waitFor('the command carried out', () => commands.length === 1, 10_000);
    expect(commands[0]).to.deep.include({ ingress: 'default/echo', command: 'pause' });
    await waitFor(
      'the annotation taken away',
      () => !(key in ((api.get('ConfigMap', 'splitplane', 'splitplane-rollouts-splitplane')?.metadata.annotations as object | undefined) ?? {})),
      10_000,
    );
  });
});
