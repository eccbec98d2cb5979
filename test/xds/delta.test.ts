// The Delta protocol state machine, without gRPC: tables of request sequences and publishes, each
// step with the responses it must cause. A response is written `TYPE added,names -removed,names`.

import { expect } from 'chai';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { CLUSTER_TYPE } from '../../src/proto/type-urls.js';
import { TYPE, fakeDelta, worldBuilder, type Sent } from '../support/fake-stream.js';

type Hosts = Record<string, string>;
type Step =
  | { publish: Hosts; extra?: string[]; port?: number }
  | {
      type: string;
      sub?: string[];
      unsub?: string[];
      /** Answers the last response of the type (ack, nack), or the one before it (stale). */
      reply?: 'ack' | 'nack' | 'stale';
      initial?: (s: Snapshot) => Record<string, string>;
    };

const W: Hosts = { 'a.io': 'a', 'b.io': 'b' };

function short(s: Sent): string {
  const parts = [s.type];
  if (s.names.length > 0) parts.push(s.names.join(','));
  if (s.removed && s.removed.length > 0) parts.push(`-${s.removed.join(',')}`);
  return parts.join(' ');
}

/** Wildcard CDS, EDS for a and b, LDS, RDS and VHDS, all acknowledged: where Envoy settles. */
const SETTLED: Array<[Step, string[]]> = [
  [{ publish: W }, []],
  [{ type: 'CDS' }, ['CDS a,b']],
  [{ type: 'EDS', sub: ['a', 'b'] }, ['EDS a,b']],
  [{ type: 'CDS', reply: 'ack' }, []],
  [{ type: 'LDS' }, []],
  [{ type: 'EDS', reply: 'ack' }, ['LDS ingress_http']],
  [{ type: 'RDS', sub: ['ingress_http'] }, []],
  [{ type: 'LDS', reply: 'ack' }, ['RDS ingress_http']],
  [{ type: 'VHDS' }, ['VHDS ingress_http/a.io,ingress_http/b.io']],
  [{ type: 'RDS', reply: 'ack' }, []],
  [{ type: 'VHDS', reply: 'ack' }, []],
];

const cases: Array<{ name: string; steps: Array<[Step, string[]]> }> = [
  {
    name: 'wildcard CDS: the first request gets everything, an ACK nothing more',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS' }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'ack' }, []],
    ],
  },
  {
    name: 'a cluster added: only it is sent',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS' }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ publish: W, extra: ['c'] }, ['CDS c']],
    ],
  },
  {
    name: 'a cluster gone: named in removed_resources, nothing resent',
    steps: [
      [{ publish: W, extra: ['c'] }, []],
      [{ type: 'CDS' }, ['CDS a,b,c']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ publish: W }, ['CDS -c']],
    ],
  },
  {
    name: 'reconnect: what the client holds at our version is not resent, another version is, a name we lack is removed',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS', initial: (s) => ({ a: s.type(CLUSTER_TYPE).resources.get('a')!.version, b: 'an-old-version', gone: 'x' }) }, ['CDS b -gone']],
    ],
  },
  {
    name: 'reconnect holding everything at our version: one empty response, so the client finishes its start-up',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS', initial: (s) => Object.fromEntries([...s.type(CLUSTER_TYPE).resources.values()].map((r) => [r.name, r.version])) }, ['CDS']],
    ],
  },
  {
    name: 'EDS by name: subscribe adds, unsubscribe drops without a response, a change sends only what is subscribed',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', sub: ['a'] }, ['EDS a']],
      [{ type: 'EDS', reply: 'ack', sub: ['b'] }, ['EDS b']],
      [{ type: 'EDS', reply: 'ack', unsub: ['a'] }, []],
      [{ publish: W, port: 2 }, ['EDS b']],
    ],
  },
  {
    name: 'a name unsubscribed and subscribed again is sent again: the client dropped it',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', sub: ['a', 'b'] }, ['EDS a,b']],
      [{ type: 'EDS', reply: 'ack', unsub: ['b'] }, []],
      [{ type: 'EDS', sub: ['b'] }, ['EDS b']],
    ],
  },
  {
    name: 'a name that does not exist yet is sent when it appears',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', sub: ['a', 'c'] }, ['EDS a']],
      [{ type: 'EDS', reply: 'ack' }, []],
      [{ publish: W, extra: ['c'] }, ['EDS c']],
    ],
  },
  {
    name: 'a stale nonce is no ACK, but its subscription change applies',
    steps: [
      [{ publish: W }, []],
      [{ type: 'EDS', sub: ['a'] }, ['EDS a']],
      [{ publish: W, port: 2 }, ['EDS a']],
      [{ type: 'EDS', reply: 'stale', sub: ['b'] }, ['EDS b']],
    ],
  },
  {
    name: 'NACK: nothing is resent until the state moves; then what the client lacks is sent again',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS' }, ['CDS a,b']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ publish: W, extra: ['c'] }, ['CDS c']],
      [{ type: 'CDS', reply: 'nack' }, []],
      [{ publish: W, extra: ['c', 'd'] }, ['CDS c,d']],
    ],
  },
  {
    name: 'explicit wildcard: "*" adds everything, unsubscribing it leaves the names',
    steps: [
      [{ publish: W }, []],
      [{ type: 'CDS', sub: ['a'] }, ['CDS a']],
      [{ type: 'CDS', reply: 'ack', sub: ['*'] }, ['CDS b']],
      [{ type: 'CDS', reply: 'ack', unsub: ['*'] }, []],
      [{ publish: W, extra: ['c'] }, []],
    ],
  },
  {
    name: 'make-before-break: listeners wait for clusters and endpoints, routes for listeners',
    steps: SETTLED,
  },
  {
    name: 'a weight flip on one host sends that host alone, by VHDS; the cluster it left goes after',
    steps: [
      ...SETTLED,
      [{ publish: { 'a.io': 'b', 'b.io': 'b' } }, ['VHDS ingress_http/a.io']],
      // Only once no route the client runs uses it: the cluster and its endpoints go.
      [{ type: 'VHDS', reply: 'ack' }, ['CDS -a', 'EDS -a']],
      [{ type: 'CDS', reply: 'ack' }, []],
    ],
  },
  {
    name: 'a new host and a new cluster: CDS and EDS first, then the new virtual host',
    steps: [
      ...SETTLED,
      [{ publish: { ...W, 'c.io': 'c' } }, ['CDS c']],
      [{ type: 'EDS', sub: ['c'] }, ['EDS c']],
      [{ type: 'CDS', reply: 'ack' }, []],
      [{ type: 'EDS', reply: 'ack' }, ['VHDS ingress_http/c.io']],
    ],
  },
  {
    name: 'a host removed: its virtual host is named in removed_resources',
    steps: [...SETTLED, [{ publish: { 'a.io': 'a', 'c.io': 'b' } }, ['VHDS ingress_http/c.io -ingress_http/b.io']]],
  },
];

describe('xds/delta (the protocol state machine, fake stream)', () => {
  for (const c of cases) {
    it(c.name, () => {
      let snapshot: Snapshot | undefined;
      const build = worldBuilder();
      const { stream, record } = fakeDelta(() => snapshot);
      const lastNonce = new Map<string, string[]>();
      c.steps.forEach(([step, expected], i) => {
        const before = record.sent.length;
        if ('publish' in step) {
          snapshot = build(step.publish, { extraClusters: step.extra, port: step.port });
          stream.pump();
        } else {
          const nonces = lastNonce.get(step.type) ?? [];
          const nonce = step.reply === 'stale' ? nonces[nonces.length - 2] : step.reply ? nonces[nonces.length - 1] : '';
          stream.onRequest({
            type_url: TYPE[step.type]!,
            resource_names_subscribe: step.sub ?? [],
            resource_names_unsubscribe: step.unsub ?? [],
            initial_resource_versions: step.initial ? step.initial(snapshot!) : {},
            response_nonce: nonce ?? '',
            error_detail: step.reply === 'nack' ? { code: 3, message: 'refused' } : null,
            ...(i === 0 || !stream.node ? { node: { id: 'n' } } : {}),
          });
        }
        const sent = record.sent.slice(before);
        for (const s of sent) lastNonce.set(s.type, [...(lastNonce.get(s.type) ?? []), s.nonce]);
        expect(sent.map(short), `step ${i + 1}: ${JSON.stringify(step)}`).to.deep.equal(expected);
      });
    });
  }

  it('a stale nonce is counted as stale, and a NACK as a NACK of the version sent', () => {
    let snapshot: Snapshot | undefined = worldBuilder()(W);
    const { stream, record } = fakeDelta(() => snapshot);
    stream.onRequest({ type_url: TYPE.CDS!, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '' });
    stream.onRequest({
      type_url: TYPE.CDS!,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: 'nope',
    });
    stream.onRequest({
      type_url: TYPE.CDS!,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: record.sent[0]!.nonce,
      error_detail: { message: 'bad' },
    });
    expect(record.stale).to.deep.equal(['CDS nope']);
    expect(record.nacks).to.deep.equal([`CDS ${snapshot.version(CLUSTER_TYPE)}`]);
    expect(stream.types[CLUSTER_TYPE].lastNack?.message).to.equal('bad');
    snapshot = undefined;
  });
});
