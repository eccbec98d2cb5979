// deploy/examples/cluster-blue-green: the release a user applies to a real cluster. Its objects are
// networking.k8s.io/v1 (served by every API server since 1.19), its Services select the Deployments' pods by
// label and port name, and, given the EndpointSlices the cluster would publish for those pods, it splits
// mini-echo.io half and half. Every step of its README, as kubectl would leave the Ingress, is checked.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { buildModel } from '../../src/model/build.js';
import type { EndpointSlice, Ingress, KubeObject, Service } from '../../src/objects/kube.js';
import { parseManifests } from '../../src/source/manifests.js';
import { endpointSlice } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIR = path.resolve(here, '..', '..', '..', 'deploy', 'examples', 'cluster-blue-green');

describe('deploy/examples/cluster-blue-green', () => {
  const kustomization = load(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const documents: Json[] = kustomization.resources.flatMap((file) =>
    fs
      .readFileSync(path.join(DIR, file), 'utf8')
      .split(/^---$/m)
      .map((text) => load(text) as Json)
      .filter(Boolean),
  );
  const parsed = kustomization.resources.map((file) => parseManifests(fs.readFileSync(path.join(DIR, file), 'utf8'), file));
  const objects: KubeObject[] = parsed.flatMap((p) => p.objects);
  // What the cluster publishes for the Deployments' ready pods (addresses from TEST-NET, as no real pod has here).
  const published = (names: string[]) => names.map((name, i) => endpointSlice(name, [`192.0.2.${i + 10}`], 80, { portName: 'http' }));
  const model = (ingress: Ingress) =>
    buildModel({
      ingresses: [ingress],
      services: objects.filter((o) => o.kind === 'Service') as Service[],
      endpointSlices: published(['old-nginx', 'new-nginx']) as EndpointSlice[],
      ingressClasses: [],
      ingressClass: 'splitplane',
    });
  const ingress = () => structuredClone(objects.find((o) => o.kind === 'Ingress')) as Ingress;

  it('lists every file of the folder, in API versions a current API server serves, with no EndpointSlice of its own', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).to.deep.equal(files.sort());
    expect(documents.map((d) => `${d.apiVersion} ${d.kind}`).sort()).to.deep.equal([
      'apps/v1 Deployment',
      'apps/v1 Deployment',
      'networking.k8s.io/v1 Ingress',
      'v1 Service',
      'v1 Service',
    ]);
    expect(parsed.flatMap((p) => p.diagnostics)).to.deep.equal([]);
  });

  it("each Service selects its Deployment's pods, and its target port is the pods' port name", () => {
    for (const service of documents.filter((d) => d.kind === 'Service')) {
      const deployment = documents.find((d) => d.kind === 'Deployment' && d.metadata.name === service.metadata.name)!;
      expect(deployment.spec.selector.matchLabels).to.deep.equal(service.spec.selector);
      expect(deployment.spec.template.metadata.labels).to.include(service.spec.selector);
      const ports = deployment.spec.template.spec.containers.flatMap((c: Json) => c.ports.map((p: Json) => p.name));
      expect(ports).to.include(service.spec.ports[0].targetPort);
    }
  });

  it('step 1 splits mini-echo.io half and half; step 2 (annotation 100) sends all to new; step 3 (no annotation, one path) is a plain route', () => {
    const step1 = model(ingress());
    expect(step1.diagnostics).to.deep.equal([]);
    const weights = (m: ReturnType<typeof model>) => m.model.virtualHosts[0]!.groups[0]!.backends.map((b) => [b.service, b.basisPoints]);
    expect(weights(step1)).to.deep.equal([
      ['old-nginx', 5000],
      ['new-nginx', 5000],
    ]);
    const step2 = ingress();
    step2.metadata.annotations!['ingress.aliyun.weight/new-nginx'] = '100';
    expect(weights(model(step2))).to.deep.equal([
      ['old-nginx', 0],
      ['new-nginx', 10000],
    ]);
    const step3 = ingress();
    delete step3.metadata.annotations!['ingress.aliyun.weight/new-nginx'];
    step3.spec.rules![0]!.http!.paths.splice(0, 1);
    expect(weights(model(step3))).to.deep.equal([['new-nginx', 10000]]);
  });

  it('the README walks the same three steps with kubectl', () => {
    const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
    expect(readme).to.contain('kubectl apply -k deploy/examples/cluster-blue-green');
    expect(readme).to.contain('ingress.aliyun.weight/new-nginx=100');
    expect(readme).to.contain('ingress.aliyun.weight/new-nginx-');
    expect(readme).to.contain('"path":"/spec/rules/0/http/paths/0"');
  });
});
