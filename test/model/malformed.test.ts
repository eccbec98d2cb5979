// The malformed-input table: every annotation and field a person can get wrong, each giving a
// diagnostic that names the object and the exact field, and none of them changing what is served
// (the Ingress keeps its last accepted form).

import { expect } from 'chai';
import { buildModel, type ModelInput } from '../../src/model/build.js';
import type { Ingress } from '../../src/objects/kube.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

const N = 'nginx.ingress.kubernetes.io/';
const A = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;
const SERVICES = ['old-nginx', 'new-nginx', 'canary-a', 'canary-b'];

function main(annotations: Record<string, string> = {}): Ingress {
  return ingress({ name: 'shop', host: 'shop.test', annotations, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
}
function canary(name: string, svc: string, annotations: Record<string, string>): Ingress {
  return ingress({ name, host: 'shop.test', annotations: { [`${N}canary`]: 'true', ...annotations }, paths: [{ service: svc }] });
}
const GOOD = {
  shop: main(),
  'shop-canary': canary('shop-canary', 'canary-a', { [`${N}canary-weight`]: '10' }),
  'shop-canary2': canary('shop-canary2', 'canary-b', { [`${N}canary-weight`]: '20' }),
};
type Name = keyof typeof GOOD;

function input(ingresses: Ingress[]): ModelInput {
  return {
    ingresses,
    services: SERVICES.map((s) => service(s)),
    endpointSlices: SERVICES.map((s, i) => endpointSlice(s, [`10.0.0.${i + 1}`], 80)),
    ingressClasses: [],
    ingressClass: 'splitplane',
  };
}

type Case = [description: string, target: Name, bad: Ingress | ((good: Ingress) => Ingress), field: string, severity?: 'error' | 'warning'];
const ann =
  (extra: Record<string, string>) =>
  (good: Ingress): Ingress => ({ ...good, metadata: { ...good.metadata, annotations: { ...(good.metadata.annotations ?? {}), ...extra } } });
const spec =
  (patch: (s: Json) => void) =>
  (good: Ingress): Ingress => {
    const copy = structuredClone(good);
    patch(copy.spec);
    return copy;
  };
const W = (svc: string) => `ingress.aliyun.weight/${svc}`;
const match = (rule: string) => ann({ [`${N}service-match`]: rule });
const weight = (text: string) => ann({ [`${N}service-weight`]: text });

const CASES: Case[] = [
  // ingress.aliyun.weight/<service>
  ['aliyun: not a number', 'shop', ann({ [W('new-nginx')]: 'abc' }), A(W('new-nginx'))],
  ['aliyun: above 100', 'shop', ann({ [W('new-nginx')]: '150' }), A(W('new-nginx'))],
  ['aliyun: negative', 'shop', ann({ [W('new-nginx')]: '-5' }), A(W('new-nginx'))],
  ['aliyun: three decimals', 'shop', ann({ [W('new-nginx')]: '12.345' }), A(W('new-nginx'))],
  ['aliyun: empty', 'shop', ann({ [W('new-nginx')]: '' }), A(W('new-nginx'))],
  ['aliyun: percent sign', 'shop', ann({ [W('new-nginx')]: '50%' }), A(W('new-nginx'))],
  ['aliyun: no service in the key', 'shop', ann({ 'ingress.aliyun.weight/': '50' }), A('ingress.aliyun.weight/')],
  ['aliyun: annotated sum above 100', 'shop', ann({ [W('old-nginx')]: '60', [W('new-nginx')]: '60' }), A(W('new-nginx'))],
  ['aliyun: every version at 0', 'shop', ann({ [W('old-nginx')]: '0', [W('new-nginx')]: '0' }), A(W('old-nginx'))],
  ['aliyun: on a canary Ingress', 'shop-canary', ann({ [W('canary-a')]: '10' }), A(W('canary-a'))],
  // nginx.ingress.kubernetes.io/service-weight
  ['service-weight: no colon', 'shop', weight('new-nginx'), A(`${N}service-weight`)],
  ['service-weight: not a number', 'shop', weight('new-nginx: x'), A(`${N}service-weight`)],
  ['service-weight: negative', 'shop', weight('new-nginx: -1'), A(`${N}service-weight`)],
  ['service-weight: fraction', 'shop', weight('new-nginx: 1.5'), A(`${N}service-weight`)],
  ['service-weight: a service twice', 'shop', weight('new-nginx: 20, new-nginx: 30'), A(`${N}service-weight`)],
  ['service-weight: empty', 'shop', weight(' '), A(`${N}service-weight`)],
  ['service-weight: every version at 0', 'shop', weight('old-nginx: 0, new-nginx: 0'), A(`${N}service-weight`)],
  ['service-weight: not a Service name', 'shop', weight('New_Nginx: 20'), A(`${N}service-weight`)],
  ['service-weight: too large', 'shop', weight('new-nginx: 20000000'), A(`${N}service-weight`)],
  [
    'service-weight: with aliyun weights on the same path',
    'shop',
    ann({ [`${N}service-weight`]: 'new-nginx: 20', [W('new-nginx')]: '20' }),
    A(`${N}service-weight`),
  ],
  ['service-weight: on a canary Ingress', 'shop-canary', weight('canary-a: 10'), A(`${N}service-weight`)],
  // nginx.ingress.kubernetes.io/service-match
  ['service-match: header name not quoted', 'shop', match('new-nginx: header(x-ver, /v2/)'), A(`${N}service-match`)],
  ['service-match: look-ahead (not RE2)', 'shop', match('new-nginx: header("x-ver", /(?=v2)/)'), A(`${N}service-match`)],
  ['service-match: back-reference (not RE2)', 'shop', match('new-nginx: header("x-ver", /(a)\\1/)'), A(`${N}service-match`)],
  ['service-match: repetition above 1000', 'shop', match('new-nginx: header("x-ver", /a{1001}/)'), A(`${N}service-match`)],
  [
    'service-match: too complex for Envoy',
    'shop',
    match('new-nginx: header("x-ver", /(alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa)+[0-9]{3}/)'),
    A(`${N}service-match`),
  ],
  ['service-match: bad header name', 'shop', match('new-nginx: header("x ver", "v2")'), A(`${N}service-match`)],
  ['service-match: bad cookie name', 'shop', match('new-nginx: cookie("a;b", "v")'), A(`${N}service-match`)],
  ['service-match: bad cookie value', 'shop', match('new-nginx: cookie("c", "a;b")'), A(`${N}service-match`)],
  ['service-match: cookie pattern with an inner anchor', 'shop', match('new-nginx: cookie("c", /a^b/)'), A(`${N}service-match`)],
  ['service-match: empty query name', 'shop', match('new-nginx: query("", "1")'), A(`${N}service-match`)],
  ['service-match: unknown condition', 'shop', match('new-nginx: body("x", "1")'), A(`${N}service-match`)],
  ['service-match: two rules for one service', 'shop', match('new-nginx: header("a", "1")\nnew-nginx: header("b", "2")'), A(`${N}service-match`)],
  ['service-match: every version has a rule', 'shop', match('old-nginx: header("a", "1")\nnew-nginx: header("b", "2")'), A(`${N}service-match`)],
  ['service-match: empty', 'shop', match(''), A(`${N}service-match`)],
  ['service-match: on a canary Ingress', 'shop-canary', match('canary-a: header("a", "1")'), A(`${N}service-match`)],
  // ingress-nginx canary
  ['canary: not true or false', 'shop-canary', ann({ [`${N}canary`]: 'yes' }), A(`${N}canary`)],
  ['canary-weight: not a number', 'shop-canary', ann({ [`${N}canary-weight`]: 'abc' }), A(`${N}canary-weight`)],
  ['canary-weight: above the total', 'shop-canary', ann({ [`${N}canary-weight`]: '150' }), A(`${N}canary-weight`)],
  ['canary-weight: negative', 'shop-canary', ann({ [`${N}canary-weight`]: '-1' }), A(`${N}canary-weight`)],
  ['canary-weight: fraction', 'shop-canary', ann({ [`${N}canary-weight`]: '2.5' }), A(`${N}canary-weight`)],
  ['canary-weight: above its own total', 'shop-canary', ann({ [`${N}canary-weight`]: '60', [`${N}canary-weight-total`]: '50' }), A(`${N}canary-weight`)],
  ['canary-weight: canaries take more than the total', 'shop-canary', ann({ [`${N}canary-weight`]: '90' }), A(`${N}canary-weight`)],
  ['canary-weight-total: zero', 'shop-canary', ann({ [`${N}canary-weight-total`]: '0' }), A(`${N}canary-weight-total`)],
  ['canary-weight-total: not a number', 'shop-canary', ann({ [`${N}canary-weight-total`]: 'x' }), A(`${N}canary-weight-total`)],
  ['canary-by-header: not a header name', 'shop-canary', ann({ [`${N}canary-by-header`]: 'x canary' }), A(`${N}canary-by-header`)],
  ['canary-by-header-value: without canary-by-header', 'shop-canary', ann({ [`${N}canary-by-header-value`]: 'yes' }), A(`${N}canary-by-header-value`)],
  [
    'canary-by-header-value: empty',
    'shop-canary',
    ann({ [`${N}canary-by-header`]: 'x-c', [`${N}canary-by-header-value`]: '' }),
    A(`${N}canary-by-header-value`),
  ],
  ['canary-by-header-pattern: without canary-by-header', 'shop-canary', ann({ [`${N}canary-by-header-pattern`]: '^a$' }), A(`${N}canary-by-header-pattern`)],
  [
    'canary-by-header-pattern: look-behind (not RE2)',
    'shop-canary',
    ann({ [`${N}canary-by-header`]: 'x-c', [`${N}canary-by-header-pattern`]: '(?<=a)b' }),
    A(`${N}canary-by-header-pattern`),
  ],
  [
    'canary-by-header-pattern: possessive (not RE2)',
    'shop-canary',
    ann({ [`${N}canary-by-header`]: 'x-c', [`${N}canary-by-header-pattern`]: 'a++' }),
    A(`${N}canary-by-header-pattern`),
  ],
  [
    'canary-by-header-pattern: too complex for Envoy',
    'shop-canary',
    ann({ [`${N}canary-by-header`]: 'x-c', [`${N}canary-by-header-pattern`]: '([a-z]+\\.){4}[a-z]{2,6}' }),
    A(`${N}canary-by-header-pattern`),
  ],
  [
    'canary-by-header-pattern: unbalanced',
    'shop-canary',
    ann({ [`${N}canary-by-header`]: 'x-c', [`${N}canary-by-header-pattern`]: '(beta' }),
    A(`${N}canary-by-header-pattern`),
  ],
  ['canary-by-cookie: not a cookie name', 'shop-canary', ann({ [`${N}canary-by-cookie`]: 'a;b' }), A(`${N}canary-by-cookie`)],
  ['canary-weight without canary: "true"', 'shop-canary', ann({ [`${N}canary`]: 'false' }), A(`${N}canary-weight`)],
  ['canary-by-header on a main Ingress', 'shop', ann({ [`${N}canary-by-header`]: 'x-c' }), A(`${N}canary-by-header`)],
  [
    'canary: two backends on one path',
    'shop-canary',
    spec((s) => s.rules[0].http.paths.push({ path: '/', pathType: 'Prefix', backend: { service: { name: 'canary-b', port: { number: 80 } } } })),
    'spec.rules[0].http.paths[1].backend',
  ],
  [
    'canary: adds a Service the path already has',
    'shop-canary',
    spec((s) => (s.rules[0].http.paths[0].backend.service.name = 'old-nginx')),
    'spec.rules[0].http.paths[0].backend.service.name',
  ],
  // splitplane.io/sticky-*
  ['sticky-cookie: white space', 'shop', ann({ 'splitplane.io/sticky-cookie': 'my cookie' }), A('splitplane.io/sticky-cookie')],
  ['sticky-cookie: semicolon', 'shop', ann({ 'splitplane.io/sticky-cookie': 'a;b' }), A('splitplane.io/sticky-cookie')],
  ['sticky-cookie: empty', 'shop', ann({ 'splitplane.io/sticky-cookie': '' }), A('splitplane.io/sticky-cookie')],
  [
    'sticky-max-age: not a number',
    'shop',
    ann({ 'splitplane.io/sticky-cookie': 'v', 'splitplane.io/sticky-max-age': 'abc' }),
    A('splitplane.io/sticky-max-age'),
  ],
  ['sticky-max-age: zero', 'shop', ann({ 'splitplane.io/sticky-cookie': 'v', 'splitplane.io/sticky-max-age': '0' }), A('splitplane.io/sticky-max-age')],
  ['sticky-max-age: negative', 'shop', ann({ 'splitplane.io/sticky-cookie': 'v', 'splitplane.io/sticky-max-age': '-5' }), A('splitplane.io/sticky-max-age')],
  ['sticky-max-age: without sticky-cookie', 'shop', ann({ 'splitplane.io/sticky-max-age': '60' }), A('splitplane.io/sticky-max-age')],
  // Ingress fields
  ['host: upper case', 'shop', spec((s) => (s.rules[0].host = 'Shop.Test')), 'spec.rules[0].host'],
  ['host: wildcard not leading', 'shop', spec((s) => (s.rules[0].host = 'shop.*.test')), 'spec.rules[0].host'],
  ['pathType: unknown', 'shop', spec((s) => (s.rules[0].http.paths[0].pathType = 'Regex')), 'spec.rules[0].http.paths[0].pathType'],
  ['path: no leading slash', 'shop', spec((s) => (s.rules[0].http.paths[0].path = 'foo')), 'spec.rules[0].http.paths[0].path'],
  ['path: white space', 'shop', spec((s) => (s.rules[0].http.paths[0].path = '/a b')), 'spec.rules[0].http.paths[0].path'],
  ['path: a control character', 'shop', spec((s) => (s.rules[0].http.paths[0].path = '/a\u0000b')), 'spec.rules[0].http.paths[0].path'],
  ['backend: no service name', 'shop', spec((s) => delete s.rules[0].http.paths[0].backend.service.name), 'spec.rules[0].http.paths[0].backend.service.name'],
  [
    'backend: port out of range',
    'shop',
    spec((s) => (s.rules[0].http.paths[0].backend.service.port = { number: 70000 })),
    'spec.rules[0].http.paths[0].backend.service.port.number',
  ],
  ['backend: no port', 'shop', spec((s) => delete s.rules[0].http.paths[0].backend.service.port), 'spec.rules[0].http.paths[0].backend.service.port'],
  [
    'backend: a resource backend',
    'shop',
    spec((s) => (s.rules[0].http.paths[0].backend = { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } })),
    'spec.rules[0].http.paths[0].backend.resource',
  ],
  ['paths: not a list', 'shop', spec((s) => (s.rules[0].http.paths = 'oops')), 'spec.rules[0].http.paths'],
  // Warnings: nothing rejected, still named precisely, still nothing changed.
  ['unknown canary annotation (typo)', 'shop-canary', ann({ [`${N}canary-wieght`]: '50' }), A(`${N}canary-wieght`), 'warning'],
  ['unknown splitplane annotation (typo)', 'shop', ann({ 'splitplane.io/stiky-cookie': 'v' }), A('splitplane.io/stiky-cookie'), 'warning'],
  ['unsupported ingress-nginx annotation', 'shop', ann({ [`${N}rewrite-target`]: '/' }), A(`${N}rewrite-target`), 'warning'],
  ['service-weight names no backend', 'shop', weight('nobody: 10'), A(`${N}service-weight`), 'warning'],
  ['aliyun weight names no backend', 'shop', ann({ [W('nobody')]: '10' }), A(W('nobody')), 'warning'],
  [
    'service-match: cookie name and value too long for an Envoy regex',
    'shop',
    match(`new-nginx: cookie("${'c'.repeat(40)}", "${'v'.repeat(42)}")`),
    A(`${N}service-match`),
  ],
  ['canary-by-cookie: name too long for an Envoy regex', 'shop-canary', ann({ [`${N}canary-by-cookie`]: 'c'.repeat(76) }), A(`${N}canary-by-cookie`)],
  ['sticky-cookie: name too long for an Envoy regex', 'shop', ann({ 'splitplane.io/sticky-cookie': 's'.repeat(72) }), A('splitplane.io/sticky-cookie')],
  ['ssl-redirect: not a boolean', 'shop', ann({ [`${N}ssl-redirect`]: 'yes' }), A(`${N}ssl-redirect`)],
  ['ssl-redirect: empty', 'shop', ann({ [`${N}ssl-redirect`]: '' }), A(`${N}ssl-redirect`)],
  ['ssl-redirect on a canary Ingress (the main one decides)', 'shop-canary', ann({ [`${N}ssl-redirect`]: 'false' }), A(`${N}ssl-redirect`), 'warning'],
  [
    'canary annotation on a main Ingress, with canary: "false"',
    'shop',
    ann({ [`${N}canary`]: 'false', [`${N}canary-by-cookie`]: 'c' }),
    A(`${N}canary-by-cookie`),
  ],
];

describe('model: the malformed-input table', () => {
  const good = buildModel(input(Object.values(GOOD)));
  const served = JSON.stringify(good.model);

  it(`has at least 60 cases (${CASES.length})`, () => {
    expect(CASES.length).to.be.at.least(60);
    expect(good.diagnostics).to.deep.equal([]);
  });

  for (const [description, target, bad, field, severity = 'error'] of CASES) {
    it(`${description}: ${severity} on Ingress default/${target} ${field}; nothing served changes`, () => {
      const replaced = typeof bad === 'function' ? bad(GOOD[target]) : bad;
      const ingresses = Object.entries(GOOD).map(([name, obj]) => (name === target ? replaced : obj));
      const result = buildModel(input(ingresses), good.accepted);
      const found = result.diagnostics.filter((d) => d.severity === severity && d.object.name === target && d.object.kind === 'Ingress' && d.field === field);
      expect(found, JSON.stringify(result.diagnostics, null, 1)).to.have.length.greaterThan(0);
      expect(found[0]!.message).to.be.a('string').and.have.length.greaterThan(10);
      expect(JSON.stringify(result.model), 'what is served').to.equal(served);
      if (severity === 'error') expect(result.accepted.get(`Ingress/default/${target}`)).to.equal(GOOD[target]);
    });
  }
});
