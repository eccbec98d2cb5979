// The shipped example is what `npm start` serves: it must load without errors and mean what the blue-green article means.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLE_DIR } from '../../src/local/example.js';
import { buildModel } from '../../src/model/build.js';
import type { EndpointSlice, Ingress, IngressClass, Service } from '../../src/objects/kube.js';
import { translate } from '../../src/resources/translate.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { parseManifests } from '../../src/source/manifests.js';
import { ObjectStore } from '../../src/store/store.js';

describe('deploy/examples/blue-green', () => {
  const store = new ObjectStore();
  const diagnostics: unknown[] = [];
  for (const file of fs.readdirSync(EXAMPLE_DIR)) {
    const parsed = parseManifests(fs.readFileSync(path.join(EXAMPLE_DIR, file), 'utf8'), file);
    diagnostics.push(...parsed.diagnostics);
    store.replaceSource(file, parsed.objects);
  }
  const result = buildModel({
    ingresses: store.list<Ingress>('Ingress'),
    services: store.list<Service>('Service'),
    endpointSlices: store.list<EndpointSlice>('EndpointSlice'),
    ingressClasses: store.list<IngressClass>('IngressClass'),
    ingressClass: 'splitplane',
  });

  it('parses without a diagnostic', () => {
    expect(diagnostics).to.deep.equal([]);
    expect(result.diagnostics).to.deep.equal([]);
  });

  it("holds the blue-green example's objects: old-nginx, new-nginx and the mini-echo.io Ingress", () => {
    expect(
      store
        .list<Service>('Service')
        .map((s) => s.metadata.name)
        .sort(),
    ).to.deep.equal(['default-http-backend', 'new-nginx', 'old-nginx']);
    const [echo] = store.list<Ingress>('Ingress');
    expect(echo!.metadata.name).to.equal('echo');
    expect(echo!.spec.rules?.[0]!.host).to.equal('mini-echo.io');
    expect(echo!.metadata.annotations).to.deep.equal({ 'ingress.aliyun.weight/new-nginx': '50' });
  });

  it('splits mini-echo.io half and half, with the default backend last', () => {
    const vhost = result.model.virtualHosts.find((v) => v.host === 'mini-echo.io')!;
    expect(vhost.groups[0]!.backends.map((v) => [v.service, v.basisPoints])).to.deep.equal([
      ['old-nginx', 5000],
      ['new-nginx', 5000],
    ]);
    expect(vhost.defaultBackend?.backends[0]!.service).to.equal('default-http-backend');
  });

  it('translates into a consistent snapshot', () => {
    expect(Snapshot.fromResources(translate(result.model, { http: { address: '0.0.0.0', port: 8080 } })).problems()).to.deep.equal([]);
  });
});
