import { expect } from 'chai';
import { aliyunDialect } from '../../../src/model/dialects/aliyun.js';
import type { GroupView } from '../../../src/model/dialects/dialect.js';
import { DiagnosticSink } from '../../../src/objects/diagnostics.js';

const W = 'ingress.aliyun.weight/';
const field = (svc: string) => `metadata.annotations["${W}${svc}"]`;
const group = (...services: string[]): GroupView => ({ label: 'mini-echo.io/ (Prefix)', services });

interface Case {
  title: string;
  annotations: Record<string, string>;
  groups: GroupView[];
  /** Basis points per group and version, or null when the Ingress is rejected. */
  weights: number[][] | null;
  /** Expected diagnostics as `severity field ~message-fragment`. */
  diagnostics?: Array<[string, string, string]>;
}

/** The dialect as the planner uses it on a main Ingress: read, check against the paths, weigh every group. */
function aliyunWeights(annotations: Record<string, string>, groups: readonly GroupView[], sink: DiagnosticSink): number[][] | null {
  const read = aliyunDialect.weights!(annotations, sink);
  if (!read.ok || !read.value) return null;
  const reading = read.value;
  if (!reading.prepare(groups, sink)) return null;
  const weighed = groups.map((g) => reading.weigh(g, sink));
  return weighed.every((w) => w.ok) ? weighed.map((w) => (w.ok ? w.value.declared : [])) : null;
}

const cases: Case[] = [
  // The blue-green walkthrough.
  {
    title: 'blue-green: new=50 splits half and half',
    annotations: { [W + 'new-nginx']: '50' },
    groups: [group('old-nginx', 'new-nginx')],
    weights: [[5000, 5000]],
  },
  {
    title: 'blue-green: new=100 gives old nothing',
    annotations: { [W + 'new-nginx']: '100' },
    groups: [group('old-nginx', 'new-nginx')],
    weights: [[0, 10000]],
  },
  { title: 'blue-green: annotation and old backend removed is a plain route', annotations: {}, groups: [group('new-nginx')], weights: [[10000]] },
  { title: 'blue-green: before the release, one version', annotations: {}, groups: [group('old-nginx')], weights: [[10000]] },
  // Percent forms.
  { title: 'two decimals', annotations: { [W + 'new']: '12.34' }, groups: [group('old', 'new')], weights: [[8766, 1234]] },
  { title: 'one decimal', annotations: { [W + 'new']: '12.5' }, groups: [group('old', 'new')], weights: [[8750, 1250]] },
  {
    title: 'zero percent keeps everything on the unannotated version',
    annotations: { [W + 'new']: '0' },
    groups: [group('old', 'new')],
    weights: [[10000, 0]],
  },
  { title: 'surrounding spaces are forgiven', annotations: { [W + 'new']: ' 30 ' }, groups: [group('old', 'new')], weights: [[7000, 3000]] },
  { title: 'smallest step, 0.01 percent', annotations: { [W + 'new']: '0.01' }, groups: [group('old', 'new')], weights: [[9999, 1]] },
  // Unannotated versions share the rest.
  { title: 'no annotation splits equally', annotations: {}, groups: [group('a', 'b')], weights: [[5000, 5000]] },
  { title: 'three unannotated: leftover basis point to the first', annotations: {}, groups: [group('a', 'b', 'c')], weights: [[3334, 3333, 3333]] },
  { title: 'one annotated of three: the rest shared by two', annotations: { [W + 'c']: '40' }, groups: [group('a', 'b', 'c')], weights: [[3000, 3000, 4000]] },
  {
    title: 'uneven rest: leftover to the first unannotated in manifest order',
    annotations: { [W + 'a']: '0.01' },
    groups: [group('a', 'b', 'c')],
    weights: [[1, 5000, 4999]],
  },
  // All versions annotated: relative.
  { title: 'all annotated summing to 100', annotations: { [W + 'a']: '20', [W + 'b']: '80' }, groups: [group('a', 'b')], weights: [[2000, 8000]] },
  { title: 'all annotated below 100 are relative', annotations: { [W + 'a']: '30', [W + 'b']: '30' }, groups: [group('a', 'b')], weights: [[5000, 5000]] },
  { title: 'all annotated, one zero', annotations: { [W + 'a']: '0', [W + 'b']: '10' }, groups: [group('a', 'b')], weights: [[0, 10000]] },
  { title: 'a lone annotated version takes everything', annotations: { [W + 'new']: '50' }, groups: [group('new')], weights: [[10000]] },
  // Several groups in one Ingress.
  {
    title: 'an annotation applies to every group the service is in',
    annotations: { [W + 'new']: '25' },
    groups: [group('old', 'new'), group('old2', 'new')],
    weights: [
      [7500, 2500],
      [7500, 2500],
    ],
  },
  {
    title: 'groups without the service are untouched',
    annotations: { [W + 'new']: '25' },
    groups: [group('old', 'new'), group('api')],
    weights: [[7500, 2500], [10000]],
  },
  {
    title: 'other annotations are ignored',
    annotations: { 'kubernetes.io/ingress.class': 'splitplane', 'ingress.aliyun.weightx': '3' },
    groups: [group('a', 'b')],
    weights: [[5000, 5000]],
  },
  // Errors.
  {
    title: 'error: not a number',
    annotations: { [W + 'new']: 'abc' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'is not a percentage']],
  },
  {
    title: 'error: above 100',
    annotations: { [W + 'new']: '150' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'more than 100 percent']],
  },
  {
    title: 'error: negative',
    annotations: { [W + 'new']: '-1' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'is not a percentage']],
  },
  {
    title: 'error: percent sign',
    annotations: { [W + 'new']: '50%' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'is not a percentage']],
  },
  {
    title: 'error: three decimals',
    annotations: { [W + 'new']: '1.005' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'at most two decimals']],
  },
  {
    title: 'error: empty value',
    annotations: { [W + 'new']: '' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field('new'), 'is not a percentage']],
  },
  {
    title: 'error: annotation names no service',
    annotations: { [W]: '50' },
    groups: [group('old', 'new')],
    weights: null,
    diagnostics: [['error', field(''), 'names no service']],
  },
  {
    title: 'error: annotated sum above 100',
    annotations: { [W + 'a']: '60', [W + 'b']: '50' },
    groups: [group('a', 'b', 'c')],
    weights: null,
    diagnostics: [['error', field('b'), 'add up to 110 percent']],
  },
  {
    title: 'error: all annotated and above 100',
    annotations: { [W + 'a']: '60', [W + 'b']: '60' },
    groups: [group('a', 'b')],
    weights: null,
    diagnostics: [['error', field('b'), 'must not exceed 100']],
  },
  {
    title: 'error: all annotated with zero',
    annotations: { [W + 'a']: '0', [W + 'b']: '0' },
    groups: [group('a', 'b')],
    weights: null,
    diagnostics: [['error', field('a'), 'weight 0']],
  },
  {
    title: 'error: two bad annotations give two diagnostics',
    annotations: { [W + 'a']: 'x', [W + 'b']: 'y' },
    groups: [group('a', 'b')],
    weights: null,
    diagnostics: [
      ['error', field('a'), 'is not a percentage'],
      ['error', field('b'), 'is not a percentage'],
    ],
  },
  // Warnings.
  {
    title: 'warning: annotation naming no backend of the Ingress is ignored',
    annotations: { [W + 'ghost']: '50' },
    groups: [group('old', 'new')],
    weights: [[5000, 5000]],
    diagnostics: [['warning', field('ghost'), 'not a backend of any path']],
  },
  {
    title: 'warning and weights: a typo next to a real annotation',
    annotations: { [W + 'new']: '20', [W + 'nwe']: '50' },
    groups: [group('old', 'new')],
    weights: [[8000, 2000]],
    diagnostics: [['warning', field('nwe'), 'is ignored']],
  },
];

describe('model/dialects/aliyun', () => {
  for (const c of cases) {
    it(c.title, () => {
      const sink = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'echo' });
      const weights = aliyunWeights(c.annotations, c.groups, sink);
      expect(weights).to.deep.equal(c.weights);
      const got = sink.items.map((d) => [d.severity, d.field, d.message]);
      const want = c.diagnostics ?? [];
      expect(got.length, JSON.stringify(got)).to.equal(want.length);
      want.forEach(([severity, f, fragment], i) => {
        expect(got[i]![0]).to.equal(severity);
        expect(got[i]![1]).to.equal(f);
        expect(got[i]![2]).to.contain(fragment);
      });
      for (const g of weights ?? []) expect(g.reduce((a, b) => a + b, 0)).to.equal(10000);
      for (const d of sink.items) expect(d.object).to.deep.equal({ kind: 'Ingress', namespace: 'default', name: 'echo' });
    });
  }

  it('has at least 25 cases, covering every error and warning path', () => {
    expect(cases.length).to.be.at.least(25);
  });
});
