// The shape table: objects the API server would refuse, each an error naming the exact field; values it
// would refuse but whose intent is clear, each a warning naming the field; and valid objects passing
// through untouched (same identity, so plans stay cached).

import { expect } from 'chai';
import type { KubeObject } from '../../../src/objects/kube.js';
import { validateObject } from '../../../src/model/validation/validate.js';
import { endpointSlice, ingress, ingressClass, service } from '../../support/fixtures.js';
import type { Json } from '../../support/json.js';

type Mutate = (o: Json) => void;
const with_ = (base: () => KubeObject, mutate: Mutate) => (): KubeObject => {
  const copy = structuredClone(base());
  mutate(copy);
  return copy;
};
const ING = () => ingress({ name: 'shop', host: 'shop.test', paths: [{ service: 'old-nginx' }] });
const SVC = () => service('old-nginx');
const EPS = () => endpointSlice('old-nginx', ['10.0.0.1'], 8080);
const SECRET = (): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tls', namespace: 'default' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': 'QUJD', 'tls.key': 'QUJD' },
  }) as KubeObject;
const CLASS = () => ingressClass('splitplane', 'splitplane.io/ingress-controller');

// [description, object, field, severity]
const CASES: Array<[string, () => KubeObject, string, ('error' | 'warning')?]> = [
  // metadata, every kind
  ['metadata is a list', with_(ING, (o) => (o.metadata = ['a'])), 'metadata'],
  ['name with a newline', with_(ING, (o) => (o.metadata.name = 'shop\nevil')), 'metadata.name'],
  ['name of 300 characters', with_(ING, (o) => (o.metadata.name = 'a'.repeat(300))), 'metadata.name'],
  ['name in upper case', with_(SVC, (o) => (o.metadata.name = 'Old-Nginx')), 'metadata.name'],
  ['Service name with a dot (DNS-1035 label)', with_(SVC, (o) => (o.metadata.name = 'old.nginx')), 'metadata.name'],
  ['namespace with a slash', with_(ING, (o) => (o.metadata.namespace = 'a/b')), 'metadata.namespace'],
  ['namespace as a number', with_(ING, (o) => (o.metadata.namespace = 5)), 'metadata.namespace'],
  ['annotations as a list', with_(ING, (o) => (o.metadata.annotations = ['ingress.aliyun.weight/new-nginx=50'])), 'metadata.annotations'],
  ['annotations as a string', with_(ING, (o) => (o.metadata.annotations = 'x')), 'metadata.annotations'],
  ['annotation key with a space', with_(ING, (o) => (o.metadata.annotations = { 'bad key': 'x' })), 'metadata.annotations["bad key"]'],
  ['annotations over 256 KiB', with_(ING, (o) => (o.metadata.annotations = { a: 'x'.repeat(300 * 1024) })), 'metadata.annotations'],
  ['label value too long', with_(SVC, (o) => (o.metadata.labels = { app: 'x'.repeat(64) })), 'metadata.labels["app"]'],
  ['labels as a list', with_(EPS, (o) => (o.metadata.labels = ['kubernetes.io/service-name'])), 'metadata.labels'],
  ['creationTimestamp as a number', with_(ING, (o) => (o.metadata.creationTimestamp = 5)), 'metadata.creationTimestamp'],
  // Ingress
  ['spec as a string', with_(ING, (o) => (o.spec = 'x')), 'spec'],
  ['rules as a string', with_(ING, (o) => (o.spec.rules = 'string')), 'spec.rules'],
  ['a null rule', with_(ING, (o) => (o.spec.rules = [null])), 'spec.rules[0]'],
  ['a rule that is a number', with_(ING, (o) => (o.spec.rules = [5])), 'spec.rules[0]'],
  ['host as a number', with_(ING, (o) => (o.spec.rules[0].host = 5)), 'spec.rules[0].host'],
  ['host of 100 KB', with_(ING, (o) => (o.spec.rules[0].host = 'a'.repeat(100_000) + '.test')), 'spec.rules[0].host'],
  ['host label of 64 characters', with_(ING, (o) => (o.spec.rules[0].host = 'a'.repeat(64) + '.test')), 'spec.rules[0].host'],
  ['http as a list', with_(ING, (o) => (o.spec.rules[0].http = [])), 'spec.rules[0].http'],
  ['paths as a string', with_(ING, (o) => (o.spec.rules[0].http.paths = 'x')), 'spec.rules[0].http.paths'],
  ['a null path', with_(ING, (o) => (o.spec.rules[0].http.paths = [null])), 'spec.rules[0].http.paths[0]'],
  ['path as a number', with_(ING, (o) => (o.spec.rules[0].http.paths[0].path = 5)), 'spec.rules[0].http.paths[0].path'],
  ['pathType as a list', with_(ING, (o) => (o.spec.rules[0].http.paths[0].pathType = ['Prefix'])), 'spec.rules[0].http.paths[0].pathType'],
  ['backend as a string', with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend = 'old-nginx')), 'spec.rules[0].http.paths[0].backend'],
  ['service name as a number', with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend.service.name = 5)), 'spec.rules[0].http.paths[0].backend.service.name'],
  [
    'service name with a newline',
    with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend.service.name = 'a\nb')),
    'spec.rules[0].http.paths[0].backend.service.name',
  ],
  [
    'port number as a string',
    with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend.service.port = { number: '80' })),
    'spec.rules[0].http.paths[0].backend.service.port.number',
  ],
  [
    'port number 70000',
    with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend.service.port = { number: 70000 })),
    'spec.rules[0].http.paths[0].backend.service.port.number',
  ],
  [
    'port with number and name',
    with_(ING, (o) => (o.spec.rules[0].http.paths[0].backend.service.port = { number: 80, name: 'http' })),
    'spec.rules[0].http.paths[0].backend.service.port',
  ],
  ['defaultBackend as a list', with_(ING, (o) => (o.spec.defaultBackend = [])), 'spec.defaultBackend'],
  ['tls as a string', with_(ING, (o) => (o.spec.tls = 'x')), 'spec.tls'],
  ['a null tls entry', with_(ING, (o) => (o.spec.tls = [null])), 'spec.tls[0]'],
  ['tls hosts as a string', with_(ING, (o) => (o.spec.tls = [{ hosts: 'shop.test', secretName: 'tls' }])), 'spec.tls[0].hosts'],
  ['tls secretName with a slash', with_(ING, (o) => (o.spec.tls = [{ secretName: 'a/b' }])), 'spec.tls[0].secretName'],
  ['ingressClassName as a number', with_(ING, (o) => (o.spec.ingressClassName = 5)), 'spec.ingressClassName'],
  // Service
  ['Service ports as a string', with_(SVC, (o) => (o.spec.ports = '80')), 'spec.ports'],
  ['a null Service port', with_(SVC, (o) => (o.spec.ports = [null])), 'spec.ports[0]'],
  ['Service port 0', with_(SVC, (o) => (o.spec.ports[0].port = 0)), 'spec.ports[0].port'],
  ['Service port as a string', with_(SVC, (o) => (o.spec.ports[0].port = '80')), 'spec.ports[0].port'],
  ['Service port missing', with_(SVC, (o) => delete o.spec.ports[0].port), 'spec.ports[0].port'],
  ['Service protocol HTTP', with_(SVC, (o) => (o.spec.ports[0].protocol = 'HTTP')), 'spec.ports[0].protocol'],
  ['Service targetPort 70000', with_(SVC, (o) => (o.spec.ports[0].targetPort = 70000)), 'spec.ports[0].targetPort'],
  ['Service targetPort as a list', with_(SVC, (o) => (o.spec.ports[0].targetPort = [80])), 'spec.ports[0].targetPort'],
  ['Service port name in upper case', with_(SVC, (o) => (o.spec.ports[0].name = 'HTTP')), 'spec.ports[0].name'],
  // EndpointSlice
  ['slice without addressType', with_(EPS, (o) => delete o.addressType), 'addressType'],
  ['slice addressType IPv5', with_(EPS, (o) => (o.addressType = 'IPv5')), 'addressType'],
  ['slice ports as a string', with_(EPS, (o) => (o.ports = '8080')), 'ports'],
  ['slice port 70000', with_(EPS, (o) => (o.ports[0].port = 70000)), 'ports[0].port'],
  ['slice port -1', with_(EPS, (o) => (o.ports[0].port = -1)), 'ports[0].port'],
  ['slice port 1.5', with_(EPS, (o) => (o.ports[0].port = 1.5)), 'ports[0].port'],
  ['a null slice port', with_(EPS, (o) => (o.ports = [null])), 'ports[0]'],
  ['endpoints as a string', with_(EPS, (o) => (o.endpoints = 'x')), 'endpoints'],
  ['a null endpoint', with_(EPS, (o) => (o.endpoints = [null])), 'endpoints[0]'],
  ['addresses as a string', with_(EPS, (o) => (o.endpoints[0].addresses = '127.0.0.1')), 'endpoints[0].addresses'],
  ['no addresses', with_(EPS, (o) => (o.endpoints[0].addresses = [])), 'endpoints[0].addresses'],
  ['address not-an-ip', with_(EPS, (o) => (o.endpoints[0].addresses = ['not-an-ip'])), 'endpoints[0].addresses[0]'],
  ['address 999.1.1.1', with_(EPS, (o) => (o.endpoints[0].addresses = ['999.1.1.1'])), 'endpoints[0].addresses[0]'],
  ['address localhost', with_(EPS, (o) => (o.endpoints[0].addresses = ['localhost'])), 'endpoints[0].addresses[0]'],
  ['an IPv6 address in an IPv4 slice', with_(EPS, (o) => (o.endpoints[0].addresses = ['::1'])), 'endpoints[0].addresses[0]'],
  ['an IPv4 address in an IPv6 slice', with_(EPS, (o) => (o.addressType = 'IPv6')), 'endpoints[0].addresses[0]'],
  ['an address as a number', with_(EPS, (o) => (o.endpoints[0].addresses = [2130706433])), 'endpoints[0].addresses[0]'],
  ['ready as a string', with_(EPS, (o) => (o.endpoints[0].conditions.ready = 'true')), 'endpoints[0].conditions.ready'],
  // Secret and IngressClass
  ['Secret data as a list', with_(SECRET, (o) => (o.data = ['x'])), 'data'],
  ['Secret data not base64', with_(SECRET, (o) => (o.data['tls.crt'] = '-----BEGIN CERTIFICATE-----')), 'data["tls.crt"]'],
  ['Secret data value as a number', with_(SECRET, (o) => (o.data['tls.key'] = 5)), 'data["tls.key"]'],
  ['IngressClass controller as a number', with_(CLASS, (o) => (o.spec.controller = 5)), 'spec.controller'],
  // Warnings: refused by kubectl, but the intent is clear
  [
    'unquoted number as an annotation',
    with_(ING, (o) => (o.metadata.annotations = { 'ingress.aliyun.weight/new-nginx': 50 })),
    'metadata.annotations["ingress.aliyun.weight/new-nginx"]',
    'warning',
  ],
  [
    'a list as an annotation',
    with_(ING, (o) => (o.metadata.annotations = { 'ingress.aliyun.weight/new-nginx': [50] })),
    'metadata.annotations["ingress.aliyun.weight/new-nginx"]',
    'warning',
  ],
  [
    'an unquoted boolean as an annotation',
    with_(ING, (o) => (o.metadata.annotations = { 'nginx.ingress.kubernetes.io/canary': true })),
    'metadata.annotations["nginx.ingress.kubernetes.io/canary"]',
    'warning',
  ],
  ['an unquoted number as a label', with_(SVC, (o) => (o.metadata.labels = { version: 2 })), 'metadata.labels["version"]', 'warning'],
];

describe('model/validation: the shape table', () => {
  for (const [description, make, field, severity = 'error'] of CASES) {
    it(`${description}: ${severity} at ${field}`, () => {
      const object = make();
      const result = validateObject(object);
      const found = result.diagnostics.filter((d) => d.field === field && d.severity === severity);
      expect(found, JSON.stringify(result.diagnostics)).to.have.length.greaterThan(0);
      expect(found[0]!.object.kind).to.equal(object.kind);
      expect(found[0]!.message.length, 'a message short enough to read').to.be.within(10, 400);
      expect(result.valid).to.equal(severity !== 'error');
    });
  }

  it('valid objects pass unchanged, keeping their identity', () => {
    for (const make of [ING, SVC, EPS, SECRET, CLASS]) {
      const object = make();
      const result = validateObject(object);
      expect(result.diagnostics, object.kind).to.deep.equal([]);
      expect(result.valid && result.object).to.equal(object);
    }
  });

  it('an unquoted number is read as its text; a list as its JSON text, which no dialect accepts', () => {
    const number = validateObject(with_(ING, (o) => (o.metadata.annotations = { a: 50 }))());
    const list = validateObject(with_(ING, (o) => (o.metadata.annotations = { a: [50] }))());
    expect(number.valid && number.object.metadata.annotations).to.deep.equal({ a: '50' });
    expect(list.valid && list.object.metadata.annotations).to.deep.equal({ a: '[50]' });
  });

  it('an unquoted YAML timestamp becomes RFC 3339 text', () => {
    const r = validateObject(with_(ING, (o) => (o.metadata.creationTimestamp = new Date('2026-01-02T03:04:05Z')))());
    expect(r.valid && r.object.metadata.creationTimestamp).to.equal('2026-01-02T03:04:05.000Z');
  });

  it('messages never quote more than a short piece of a huge value', () => {
    const r = validateObject(with_(ING, (o) => (o.spec.rules[0].host = 'a'.repeat(100_000)))());
    expect(r.diagnostics[0]!.message.length).to.be.below(200);
  });

  it('the same object is checked once', () => {
    const object = ING();
    expect(validateObject(object)).to.equal(validateObject(object));
  });
});
