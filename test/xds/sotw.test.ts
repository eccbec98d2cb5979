// The State-of-the-World protocol state machine, without gRPC: tables of request sequences and
// publishes, each step with the responses it must cause, written `TYPE names`.

import { expect } from 'chai';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { CLUSTER_TYPE } from '../../src/proto/type-urls.js';
import { TYPE, fakeSotw, worldBuilder } from '../support/fake-stream.js';

type Hosts = Record<string, string>;
type Step =
  { publish: Hosts; extra?: string[]; port?: number } | { type: string; names?: string[]; reply?: 'ack' | 'nack' | 'stale'; version?: (s: Snapshot) => string };

const W: Hosts = { 'a.io': 'a', 'b.io': 'b' };

const SETTLED: Array<[Step, string[]]> = [
  [{ publish: W }, []],
  [{ type: 'CDS' }, ['CDS a,b']],
  [{ type: 'EDS', names: ['a', 'b'] }, ['EDS a,b']],
  [{ type: 'CDS', reply: 'ack' }, []],
  [{ type: 'LDS' }, []],
  [{ type: 'EDS', names: ['a', 'b'], reply: 'ack' }, ['LDS ingress_http']],
  [{ type: 'RDS', names: ['ingress_http'] }, []],
  [{ type: 'LDS', reply: 'ack' }, ['RDS ingress_http']],
  [{ type: 'RDS', names: ['ingress_http'], reply: 'ack' }, []],
];

const cases: Array<{ name: string; steps: Array<[Step, string[]]> }> = [
  {
    name: 'wildcard CDS: every response carries the whole state',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS' }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ publish: W, extra: ['c'] }, ['CDS a,b,c']],
    ],
  },
  {
    name: 'EDS by name: a newly requested name is sent at once, at the same version',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', names: ['a'] }, ['EDS a']],
      [{ type: 'EDS', names: ['a', 'b'], reply: 'ack' }, ['EDS a,b']],
      [{ type: 'EDS', names: ['a', 'b'], reply: 'ack' }, []],
    ],
  },
  {
    name: 'a name dropped from the subscription and asked for again is sent again: the client forgot it',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', names: ['a', 'b'] }, ['EDS a,b']],
      [{ type: 'EDS', names: ['a'], reply: 'ack' }, []],
      [{ type: 'EDS', names: ['a', 'b'], reply: 'ack' }, ['EDS a,b']],
    ],
  },
  {
    name: 'a stale nonce is ignored whole, its names included',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', names: ['a'] }, ['EDS a']],
      [{ publish: W, port: 2 }, ['EDS a']],
      [{ type: 'EDS', names: ['a', 'b'], reply: 'stale' }, []],
      [{ type: 'EDS', names: ['a', 'b'], reply: 'ack' }, ['EDS a,b']],
    ],
  },
  {
    name: 'a NACK is not answered with the same version again',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS' }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'nack' }, []],
      [{ publish: W, extra: ['c'] }, ['CDS a,b,c']],
    ],
  },
  {
    name: 'reconnect with the current CDS version: nothing to send',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS', version: (s) => s.version(CLUSTER_TYPE) }, []],
      [{ publish: W, extra: ['c'] }, ['CDS a,b,c']],
    ],
  },
  {
    name: 'make-before-break: listeners wait for clusters and endpoints, routes for listeners',
    steps: SETTLED,
  },
  {
    name: 'a weight flip resends the whole route configuration (SotW cannot send one host)',
    steps: [
      ...SETTLED,
      // The cluster set moved (a is gone but still in use, so kept): CDS and EDS at a new version first.
      // EDS has nothing new: both assignments are as sent, so no EDS response.
      [{ publish: { 'a.io': 'b', 'b.io': 'b' } }, ['CDS b,a']],
      [{ type: 'CDS', reply: 'ack' }, ['RDS ingress_http']],
      [{ type: 'RDS', names: ['ingress_http'], reply: 'ack' }, ['CDS b']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ type: 'EDS', names: ['b'], reply: 'ack' }, []],
    ],
  },
  {
    name: 'the last clusters go: nothing is sent for EDS, and a later route change is not held back (it was STALE forever)',
    steps: [
      ...SETTLED,
      // Every Ingress deleted: no host, no cluster. The clusters the running routes use are kept.
      [{ publish: {} }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'ack' }, ['RDS ingress_http']],
      [{ type: 'RDS', names: ['ingress_http'], reply: 'ack' }, ['CDS']],
      // Envoy drops both clusters, and with them its last EDS names; it answers the EDS nonce it had.
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ type: 'EDS', names: [], reply: 'ack' }, []],
      // A new Ingress: clusters, then endpoints, then its routes, as for any change.
      [{ publish: { '*': 'a' } }, ['CDS a']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ type: 'EDS', names: ['a'], reply: 'ack' }, ['EDS a']],
      [{ type: 'EDS', names: ['a'], reply: 'ack' }, ['RDS ingress_http']],
    ],
  },
];

describe('xds/sotw (the protocol state machine, fake stream)', () => {
  for (const c of cases) {
    it(c.name, () => {
      let snapshot: Snapshot | undefined;
      const build = worldBuilder();
      const { stream, record } = fakeSotw(() => snapshot);
      const sent = new Map<string, Array<{ nonce: string; version: string }>>();
      c.steps.forEach(([step, expected], i) => {
        const before = record.sent.length;
        if ('publish' in step) {
          snapshot = build(step.publish, { extraClusters: step.extra, port: step.port });
          stream.pump();
        } else {
          const list = sent.get(step.type) ?? [];
          const answered = step.reply === 'stale' ? list[list.length - 2] : step.reply ? list[list.length - 1] : undefined;
          stream.onRequest({
            type_url: TYPE[step.type]!,
            resource_names: step.names ?? [],
            version_info: step.version ? step.version(snapshot!) : answered && step.reply === 'ack' ? answered.version : '',
            response_nonce: answered?.nonce ?? '',
            error_detail: step.reply === 'nack' ? { code: 3, message: 'refused' } : null,
            node: { id: 'n' },
          });
        }
        const out = record.sent.slice(before);
        for (const s of out) sent.set(s.type, [...(sent.get(s.type) ?? []), { nonce: s.nonce, version: s.version }]);
        expect(
          out.map((s) => `${s.type} ${s.names.join(',')}`.trimEnd()),
          `step ${i + 1}: ${JSON.stringify(step)}`,
        ).to.deep.equal(expected);
      });
    });
  }
});
