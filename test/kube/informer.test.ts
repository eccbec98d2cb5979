// An object read by a list or by a watch is the same object to the store: kind and apiVersion stamped
// in front whatever the wire gave, so its JSON is the same.

import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stamped } from '../../src/kube/informer.js';

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
