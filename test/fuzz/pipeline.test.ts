// Property tests of the whole pipeline: valid manifests, mutated as careless users and attackers would
// (nulls, wrong types, huge and odd strings, unicode, deleted and duplicated fields and objects), go
// through YAML → store → model → resources → snapshot. No exception may escape, every diagnostic names
// an object and a field, and a sample of the snapshots produced pass `envoy --mode validate`.
//
// CI runs a fixed seed; a longer run: FUZZ_RUNS=20000 FUZZ_SEED=$RANDOM npm test -- --grep fuzz

import { expect } from 'chai';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { buildModel, type BuildResult } from '../../src/model/build.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from '../../src/objects/kube.js';
import { translate } from '../../src/resources/translate.js';
import { CLUSTER_TYPE, ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { parseManifests } from '../../src/source/manifests.js';
import { ObjectStore } from '../../src/store/store.js';
import { envoyValidates, snapshotBootstrap } from '../support/envoy-validate.js';
import { loopbackEndpointSlice, ingressManifest, selfSignedCertificate, loopbackService, tlsSecret } from '../support/fixtures.js';
import type { Json } from '../support/json.js';
import { DEFAULT_CONTROLLER_NAME, gatewayObjects } from '../../src/gateway/build.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
/** Snapshots checked with envoy --mode validate per run of the suite. */
const VALIDATED = Number(process.env.FUZZ_VALIDATE ?? 10);

const N = 'nginx.ingress.kubernetes.io/';
const OPTIONS = { http: { address: '0.0.0.0', port: 8080 }, https: { address: '0.0.0.0', port: 8443 } };

function baseManifests(certificate: { certificate: string; key: string }): KubeObject[] {
  const blueGreen = ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'ingress.aliyun.weight/new-nginx': '30' });
  const main = ingressManifest(
    'shop',
    'shop.test',
    [{ service: 'old-nginx' }, { service: 'new-nginx' }],
    { 'splitplane.io/sticky-cookie': 'sp-version' },
    { tls: [{ hosts: ['shop.test'], secretName: 'shop-tls' }], defaultBackend: { service: { name: 'default-http-backend', port: { number: 80 } } } },
  );
  const canary = ingressManifest('shop-canary', 'shop.test', [{ service: 'canary' }], {
    [`${N}canary`]: 'true',
    [`${N}canary-weight`]: '10',
    [`${N}canary-by-header`]: 'x-canary',
    [`${N}canary-by-cookie`]: 'canary',
  });
  const ack = ingressManifest(
    'api',
    '*.api.test',
    [
      { service: 'old-nginx', path: '/v1', pathType: 'Exact' },
      { service: 'new-nginx', path: '/v1', pathType: 'Exact' },
    ],
    { [`${N}service-weight`]: 'new-nginx: 20, old-nginx: 80', [`${N}service-match`]: 'new-nginx: header("x-ver", /^v2$/)' },
  );
  const services = ['old-nginx', 'new-nginx', 'canary', 'default-http-backend'];
  const ingressClass = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'splitplane' },
    spec: { controller: 'splitplane.io/ingress-controller' },
  };
  return [
    blueGreen,
    main,
    canary,
    ack,
    ...services.map(loopbackService),
    ...services.map((s, i) => loopbackEndpointSlice(s, 9000 + i)),
    tlsSecret('shop-tls', certificate.certificate, certificate.key),
    ingressClass,
  ] as unknown as KubeObject[];
}

/** Gateway API objects of every kind, with weights, matches of each type, filters, HTTPS and a grant. */
function gatewayManifests(certificate: { certificate: string; key: string }): KubeObject[] {
  const G = 'gateway.networking.k8s.io';
  const services = ['old-nginx', 'new-nginx', 'grpc'];
  return [
    { apiVersion: `${G}/v1`, kind: 'GatewayClass', metadata: { name: 'splitplane' }, spec: { controllerName: 'splitplane.io/gateway-controller' } },
    {
      apiVersion: `${G}/v1`,
      kind: 'Gateway',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        gatewayClassName: 'splitplane',
        listeners: [
          { name: 'http', port: 9080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
          { name: 'https', port: 9443, protocol: 'HTTPS', hostname: 'shop.test', tls: { certificateRefs: [{ name: 'shop-tls', namespace: 'certs' }] } },
          { name: 'beside', port: 8080, protocol: 'HTTP', hostname: 'moved.test' },
        ],
      },
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: 'echo', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'web' }],
        hostnames: ['mini-echo.io', 'shop.test', 'moved.test'],
        rules: [
          {
            matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' }, headers: [{ type: 'RegularExpression', name: 'x-ver', value: 'v2|v3' }] }],
            filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '%b' }], remove: ['x-c'] } }],
            backendRefs: [{ name: 'new-nginx', port: 80 }],
          },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/strip' }, queryParams: [{ name: 'q', value: '1' }], method: 'GET' }],
            filters: [
              { type: 'URLRewrite', urlRewrite: { hostname: 'x.test', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
              { type: 'RequestMirror', requestMirror: { backendRef: { name: 'old-nginx', port: 80 }, percent: 5 } },
            ],
            backendRefs: [{ name: 'old-nginx', port: 80 }],
            timeouts: { request: '10s', backendRequest: '1s' },
          },
          {
            matches: [{ path: { type: 'Exact', value: '/moved' } }],
            filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', port: 9443, statusCode: 301 } }],
          },
          {
            backendRefs: [
              { name: 'old-nginx', port: 80, weight: 70 },
              { name: 'new-nginx', port: 80, weight: 30 },
              { name: 'absent', port: 80, weight: 10 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'GRPCRoute',
      metadata: { name: 'greeter', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'web', sectionName: 'http' }],
        hostnames: ['grpc.test'],
        rules: [
          {
            matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' } }],
            backendRefs: [
              { name: 'grpc', port: 80, weight: 2 },
              { name: 'new-nginx', port: 80 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: `${G}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'certs', namespace: 'certs' },
      spec: { from: [{ group: G, kind: 'Gateway', namespace: 'default' }], to: [{ group: '', kind: 'Secret' }] },
    },
    ...services.map(loopbackService),
    ...services.map((s, i) => loopbackEndpointSlice(s, 9100 + i)),
    { ...tlsSecret('shop-tls', certificate.certificate, certificate.key), metadata: { name: 'shop-tls', namespace: 'certs' } },
  ] as unknown as KubeObject[];
}

/** Every path into the objects (into maps and lists), for mutations to aim at. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

const ODD_STRINGS = [
  '',
  ' ',
  '0',
  '-1',
  '70000',
  '1.5',
  '[50]',
  '50%',
  'true',
  'null',
  '\n',
  'a\nb',
  '\u0000',
  '\u202e',
  'Ω',
  '😀',
  'ıİ',
  '../..',
  '*',
  '*.',
  '*.*.x',
  '.',
  'localhost',
  '999.1.1.1',
  '::1',
  'fe80::1%eth0',
  '/',
  '//',
  '/a b',
  '/a?b',
  '${x}',
  '%00',
  'a'.repeat(300),
  'é'.repeat(100),
  'x'.repeat(100_000),
];

const oddValue = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...ODD_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.constantFrom(0, -1, 1, 65535, 65536, 70000, 1.5, 1e308, -0),
  fc.boolean(),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxKeys: 3 }),
);

interface Mutation {
  object: number;
  path: number;
  op: 'set' | 'delete' | 'duplicate-entry' | 'duplicate-object' | 'rename';
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  object: fc.nat(),
  path: fc.nat(),
  op: fc.constantFrom('set', 'set', 'set', 'delete', 'duplicate-entry', 'duplicate-object', 'rename'),
  value: oddValue,
});

function mutate(objects: KubeObject[], m: Mutation): void {
  const target = objects[m.object % objects.length];
  if (m.op === 'duplicate-object') {
    objects.push(structuredClone(target)!);
    return;
  }
  const all = paths(target).filter((p) => p.length > 0);
  const path = all[m.path % all.length];
  let parent: Json = target;
  for (const key of path!.slice(0, -1)) parent = parent[key];
  const key = path![path!.length - 1];
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key!];
  } else if (m.op === 'duplicate-entry') {
    if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
    else parent[key!] = structuredClone(parent[key!]);
  } else if (m.op === 'rename' && !Array.isArray(parent)) {
    const value = parent[key!];
    delete parent[key!];
    parent[typeof m.value === 'string' && m.value !== '' ? m.value : `${String(key)}x`] = value;
  } else {
    parent[key!] = m.value;
  }
}

function run(objects: KubeObject[], previous: BuildResult['accepted']): { result: BuildResult; snapshot: Snapshot } {
  // Through YAML, as a file would bring them: values YAML cannot hold are dropped, as a writer would.
  const text = objects.map((o) => dump(o, { skipInvalid: true, lineWidth: -1 })).join('---\n');
  const parsed = parseManifests(text, 'fuzz.yaml');
  const store = new ObjectStore();
  store.replaceSource('file:fuzz.yaml', parsed.objects, parsed.fields);
  const result = buildModel(
    {
      ingresses: store.list<Ingress>('Ingress'),
      services: store.list<Service>('Service'),
      endpointSlices: store.list<EndpointSlice>('EndpointSlice'),
      ingressClasses: store.list<IngressClass>('IngressClass'),
      secrets: store.list<Secret>('Secret'),
      ingressClass: 'splitplane',
      gateway: { ...gatewayObjects((kind) => store.list(kind)), controllerName: DEFAULT_CONTROLLER_NAME, ingressPorts: { http: 8080, https: 8443 } },
    },
    previous,
  );
  result.diagnostics.push(...parsed.diagnostics, ...store.conflicts());
  return { result, snapshot: Snapshot.fromResources(translate(result.model, OPTIONS)) };
}

const SUITES: Array<{ name: string; base: (c: { certificate: string; key: string }) => KubeObject[]; clean: Array<[string, string]>; clusters: number }> = [
  // The one info: the sticky cookie does not reach proxyless gRPC clients.
  { name: 'Ingress', base: baseManifests, clean: [['info', 'metadata.annotations["splitplane.io/sticky-cookie"]']], clusters: 4 },
  // The one warning: a backendRef to a Service that does not exist (its share answers 500).
  { name: 'Gateway API', base: gatewayManifests, clean: [['warning', 'spec.rules[3].backendRefs[2]']], clusters: 3 },
];

for (const suite of SUITES)
  describe(`fuzz: mutated ${suite.name} manifests through the whole pipeline (seed ${SEED}, ${RUNS} runs) @envoy`, function () {
    this.timeout(600_000);
    let base: KubeObject[];
    let good: ReturnType<typeof run>;
    const samples = new Map<string, Snapshot>();

    before(() => {
      base = suite.base(selfSignedCertificate('shop.test'));
      good = run(base, new Map());
    });

    it('the unmutated manifests are served without an error or warning', () => {
      expect(good.result.diagnostics.map((d) => [d.severity, d.field])).to.deep.equal(suite.clean);
      expect(good.snapshot.type(CLUSTER_TYPE).resources.size).to.equal(suite.clusters);
      samples.set('unmutated', good.snapshot);
    });

    it('no exception escapes, every diagnostic names an object and a field, every snapshot is consistent', () => {
      // A counterexample can hold a 100 KB string: the report is cut to what a person can read.
      const check = (run: () => void) => {
        try {
          run();
        } catch (error) {
          throw new Error(String((error as Error).message).slice(0, 4000));
        }
      };
      check(() =>
        fc.assert(
          fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
            const objects = structuredClone(base);
            for (const m of mutations) mutate(objects, m);
            const { result, snapshot } = run(objects, good.result.accepted);
            for (const d of result.diagnostics) {
              const shown = JSON.stringify(d).slice(0, 400);
              expect(d.severity).to.be.oneOf(['error', 'warning', 'info']);
              expect(d.object.kind, shown).to.be.a('string').and.not.equal('');
              expect(d.object.name, shown).to.be.a('string');
              expect(d.field, shown).to.be.a('string').and.not.equal('');
              expect(d.field.length, shown).to.be.below(400);
              expect(d.message.length, shown).to.be.within(5, 1100);
              expect(d.message, 'no private key in a diagnostic').to.not.contain('PRIVATE KEY');
            }
            expect(snapshot.problems()).to.deep.equal([]);
            const key = `${snapshot.version(ROUTE_TYPE)}:${snapshot.version(CLUSTER_TYPE)}`;
            if (samples.size < VALIDATED && !samples.has(key)) samples.set(key, snapshot);
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        ),
      );
      expect(samples.size, 'distinct snapshots sampled for Envoy').to.be.greaterThan(1);
    });

    it('a sample of the snapshots produced pass envoy --mode validate', () => {
      for (const [key, snapshot] of samples) {
        const result = envoyValidates(snapshotBootstrap(snapshot));
        expect(result.ok, `snapshot ${key}:\n${result.output}`).to.equal(true);
      }
    });
  });
