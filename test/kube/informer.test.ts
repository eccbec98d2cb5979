// An object read by a list or by a watch is the same object to the store: kind and apiVersion stamped
// in front whatever the wire gave, so its JSON is the same. An informer stopped while it lists leaves no
// watch open.

import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { Informer, stamped } from '../../src/kube/informer.js';
import { waitFor } from '../../src/local/wait.js';
import { silentLogger } from '../../src/log.js';
import { FakeApiServer } from '../support/fake-apiserver.js';

const INGRESSES = { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' };
const metadata = { name: 'echo', namespace: 'default', resourceVersion: '7' };
const spec = { rules: [{ host: 'mini-echo.io' }] };

describe('kube/informer: stamped', () => {
  const table: Array<[string, KubernetesObject]> = [
    ['an item of a list: no kind, no apiVersion', { metadata, spec } as KubernetesObject],
    ['an object of a watch: kind, then apiVersion, first', { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata, spec } as KubernetesObject],
    ['apiVersion, then kind, first', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec } as KubernetesObject],
    ['kind and apiVersion last', { metadata, spec, kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' } as KubernetesObject],
  ];
  for (const [what, object] of table)
    it(`${what}: the same JSON as every other form`, () => {
      expect(JSON.stringify(stamped(INGRESSES, object))).to.equal(JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec }));
    });

  it("the collection's kind and apiVersion win over what the object says", () => {
    const object = { kind: 'ReferenceGrant', apiVersion: 'gateway.networking.k8s.io/v1', metadata } as KubernetesObject;
    const out = stamped({ kind: 'ReferenceGrant', apiVersion: 'gateway.networking.k8s.io/v1beta1' }, object);
    expect([out.kind, out.apiVersion]).to.deep.equal(['ReferenceGrant', 'gateway.networking.k8s.io/v1beta1']);
  });
});

describe('kube/informer: stop', function () {
  this.timeout(30_000);
  it('stopped while its list is under way: the watch that connects after it is ended at once', async () => {
    const api = new FakeApiServer(60_000);
    await api.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-informer-'));
    try {
      const config = new KubeConfig();
      config.loadFromFile(api.writeKubeconfig(dir));
      const upserts: string[] = [];
      const informer = new Informer(
        { kind: 'Service', apiVersion: 'v1', path: '/api/v1/services' },
        new KubeClient(config),
        config,
        { upsert: (o) => upserts.push(o.metadata.name), remove: () => undefined, health: () => undefined },
        silentLogger,
      );
      informer.start();
      informer.stop();
      // client-node's ListWatch goes on to watch once its list is back; the watch must not stay open.
      await waitFor('the list answered', () => api.requests.some((r) => r.startsWith('GET /api/v1/services?watch=true')), 10_000);
      await waitFor('no watch open', () => api.openWatches() === 0, 10_000);
      api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
      expect(upserts).to.not.include('late');
    } finally {
      await api.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
