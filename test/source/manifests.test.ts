import { expect } from 'chai';
import { parseManifests } from '../../src/source/manifests.js';

describe('source/manifests', () => {
  it('reads several documents, skipping empty ones', () => {
    const r = parseManifests(
      '---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n',
      'x.yaml',
    );
    expect(r.objects.map((o) => o.metadata.name)).to.deep.equal(['a', 'b']);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.failed).to.equal(false);
  });

  it('unwraps kind: List', () => {
    const r = parseManifests('apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: a}}\n', 'x.yaml');
    expect(r.objects.map((o) => o.kind)).to.deep.equal(['Service']);
  });

  it('converts legacy Ingresses on read', () => {
    const r = parseManifests(
      'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: echo}\nspec:\n  backend: {serviceName: a, servicePort: 80}\n',
      'x.yaml',
    );
    expect(r.objects[0]!.apiVersion).to.equal('networking.k8s.io/v1');
  });

  it('keeps values as YAML typed them: the model checks their shape and names the field', () => {
    const r = parseManifests(
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: echo\n  annotations:\n    ingress.aliyun.weight/new-nginx: 50\n',
      'x.yaml',
    );
    expect(r.objects[0]!.metadata.annotations).to.deep.equal({ 'ingress.aliyun.weight/new-nginx': 50 });
    expect(r.diagnostics).to.deep.equal([]);
  });

  it('a YAML syntax error fails the file with its line', () => {
    const r = parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: a\n', 'broken.yaml');
    expect(r.failed).to.equal(true);
    expect(r.diagnostics[0]!.object).to.deep.equal({ kind: 'File', name: 'broken.yaml' });
    expect(r.diagnostics[0]!.message).to.match(/line \d+/);
  });

  it('duplicate keys fail the file rather than silently picking one', () => {
    const r = parseManifests('apiVersion: v1\nkind: Service\nkind: Ingress\nmetadata: {name: a}\n', 'dup.yaml');
    expect(r.failed).to.equal(true);
  });

  it('objects without kind or name are diagnostics; the others still load', () => {
    const r = parseManifests(
      'apiVersion: v1\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n---\n- 1\n---\napiVersion: v1\nkind: Service\nmetadata: {name: ok}\n',
      'x.yaml',
    );
    expect(r.objects.map((o) => o.metadata.name)).to.deep.equal(['ok']);
    expect(r.diagnostics.map((d) => d.field)).to.deep.equal(['documents[0]', 'documents[1].metadata.name', 'documents[2]']);
    expect(r.failed).to.equal(false);
  });
});
