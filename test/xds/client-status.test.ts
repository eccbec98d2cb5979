// Fleet state from real ACKs and NACKs, driven through the SotW state machine with a fake stream.

import { expect } from 'chai';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { clientKind } from '../../src/xds/client-kind.js';
import { clientStatus } from '../../src/xds/client-status.js';
import type { XdsNode } from '../../src/xds/protocol.js';
import { TYPE, fakeSotw, worldBuilder } from '../support/fake-stream.js';

describe('xds/client-status', () => {
  it('STALE while a response is unanswered, SYNCED once ACKed at the published version, NACKED when the latest is refused', () => {
    let snapshot: Snapshot | undefined;
    const build = worldBuilder();
    const { stream, record } = fakeSotw(() => snapshot);
    const node = {
      id: 'envoy-1',
      cluster: 'edge',
      user_agent_name: 'envoy',
      user_agent_build_version: { version: { major_number: 1, minor_number: 40, patch: 0 } },
    };
    const request = (reply?: 'ack' | 'nack') => {
      const last = record.sent.filter((s) => s.type === 'CDS').at(-1);
      stream.onRequest({
        type_url: TYPE.CDS!,
        resource_names: [],
        version_info: reply === 'ack' && last ? last.version : '',
        response_nonce: reply && last ? last.nonce : '',
        error_detail: reply === 'nack' ? { code: 3, message: 'cluster default/a/80: bad thing' } : null,
        node,
      });
    };
    const status = () => clientStatus(stream, '2026-11-28T00:00:00.000Z', snapshot);

    snapshot = build({ 'a.io': 'a' });
    request();
    expect(status().state, 'a response in flight').to.equal('STALE');
    request('ack');
    const synced = status();
    expect(synced).to.deep.include({ node: 'envoy-1', cluster: 'edge', kind: 'envoy', userAgent: 'envoy 1.40.0', protocol: 'sotw', state: 'SYNCED' });
    expect(synced.types.CDS).to.deep.include({ state: 'SYNCED', acked: snapshot.type(TYPE.CDS!).version, lastNack: null });

    snapshot = build({ 'a.io': 'a', 'b.io': 'b' });
    expect(status().state, 'a new version is published, not yet sent').to.equal('STALE');
    stream.pump();
    request('nack');
    const nacked = status();
    expect(nacked.state).to.equal('NACKED');
    expect(nacked.types.CDS!.lastNack).to.include({ version: snapshot.type(TYPE.CDS!).version, message: 'cluster default/a/80: bad thing' });
    expect(nacked.types.CDS!.acked, 'it still runs the version it accepted').to.equal(synced.types.CDS!.acked);
  });

  it('clientKind: gRPC clients by user agent, or as node metadata says', () => {
    const table: Array<[XdsNode | undefined, string]> = [
      [undefined, 'envoy'],
      [{ user_agent_name: 'envoy' }, 'envoy'],
      [{ user_agent_name: 'gRPC Node' }, 'grpc'],
      [{ user_agent_name: 'gRPC Node', metadata: { 'splitplane.io/client': 'envoy' } }, 'envoy'],
      [{ user_agent_name: 'envoy', metadata: { fields: { 'splitplane.io/client': { string_value: 'grpc' } } } }, 'grpc'],
      [{ user_agent_name: 'envoy', metadata: { 'splitplane.io/client': 'something else' } }, 'envoy'],
    ];
    for (const [node, kind] of table) expect(clientKind(node), JSON.stringify(node)).to.equal(kind);
  });
});
