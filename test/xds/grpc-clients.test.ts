// Proxyless gRPC clients on the same ADS server as Envoys, through the State-of-the-World state
// machine without gRPC: a client is told apart by its node, and each kind gets only its own listeners
// and route configurations.

import { expect } from 'chai';
import { messageType } from '../../src/proto/registry.js';
import { LISTENER_TYPE } from '../../src/proto/type-urls.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import type { XdsNode } from '../../src/xds/protocol.js';
import { TYPE, fakeDelta, fakeSotw, worldBuilder, type HostTarget } from '../support/fake-stream.js';

const GRPC_NODE: XdsNode = { id: 'client-1', user_agent_name: 'gRPC Node' };
const ENVOY_NODE: XdsNode = { id: 'envoy-1', user_agent_name: 'envoy' };

function harness(node: XdsNode) {
  const build = worldBuilder();
  let snapshot: Snapshot | undefined;
  const { stream, record } = fakeSotw(() => snapshot);
  const last = (type: string) => [...record.sent].reverse().find((s) => s.type === type);
  return {
    stream,
    record,
    publish(hosts: Record<string, HostTarget>) {
      snapshot = build(hosts);
      stream.pump();
    },
    /** A request; `ack` answers the last response of the type. Returns what it caused, `TYPE names`. */
    request(type: string, names: string[], ack = false): string[] {
      const before = record.sent.length;
      const answered = ack ? last(type) : undefined;
      stream.onRequest({
        type_url: TYPE[type]!,
        resource_names: names,
        version_info: answered?.version ?? '',
        response_nonce: answered?.nonce ?? '',
        node,
      });
      return record.sent.slice(before).map((s) => `${s.type} ${s.names.join(',')}`.trimEnd());
    },
    snapshot: () => snapshot!,
  };
}

describe('xds: proxyless gRPC clients', () => {
  it('a gRPC client gets a listener named exactly its target authority, routed by RDS to its host', () => {
    const h = harness(GRPC_NODE);
    h.publish({ 'a.io': 'a', 'b.io': { a: 5000, b: 5000 } });
    expect(h.request('LDS', ['b.io:50051'])).to.deep.equal(['LDS b.io:50051']);
    expect(h.stream.routing).to.equal('grpc');
    const listener = h.snapshot().type(LISTENER_TYPE, 'grpc').lookup!('b.io:50051')!;
    const decoded = messageType('envoy.config.listener.v3.Listener').toObject(messageType('envoy.config.listener.v3.Listener').decode(decodeAny(listener.any)));
    expect(decoded.name).to.equal('b.io:50051');
    expect(decoded.api_listener).to.be.an('object');
    expect(listener.references).to.deep.equal(['grpc/b.io']);
    expect(h.request('RDS', ['grpc/b.io'])).to.deep.equal([]); // waits for the listener's ACK
    expect(h.request('LDS', ['b.io:50051'], true)).to.deep.equal(['RDS grpc/b.io']);
    expect(h.request('RDS', ['grpc/b.io'], true)).to.deep.equal([]);
    expect(h.request('CDS', ['a', 'b'])).to.deep.equal(['CDS a,b']);
  });

  it("a gRPC client never gets Envoy's listener or route configuration", () => {
    const h = harness(GRPC_NODE);
    h.publish({ 'a.io': 'a' });
    expect(h.request('LDS', ['ingress_http', 'ingress_https'])).to.deep.equal(['LDS']);
    expect(h.request('LDS', ['ingress_http'], true)).to.deep.equal([]);
    expect(h.request('RDS', ['ingress_http'])).to.deep.equal(['RDS']);
  });

  it("an Envoy never gets gRPC's listeners or route configurations, even by name", () => {
    const named = harness(ENVOY_NODE);
    named.publish({ 'a.io': 'a' });
    expect(named.request('LDS', ['a.io', 'a.io:50051'])).to.deep.equal(['LDS']);
    expect(named.stream.routing).to.equal('whole');
    expect(named.request('RDS', ['grpc/a.io'])).to.deep.equal([]);
    expect(named.request('LDS', ['a.io', 'a.io:50051'], true)).to.deep.equal(['RDS']);
    const wildcard = harness(ENVOY_NODE);
    wildcard.publish({ 'a.io': 'a' });
    expect(wildcard.request('LDS', [])).to.deep.equal(['LDS ingress_http']);
  });

  it('node metadata splitplane.io/client: grpc makes any client a gRPC client', () => {
    const h = harness({ id: 'x', user_agent_name: 'my-client', metadata: { 'splitplane.io/client': 'grpc' } });
    h.publish({ 'a.io': 'a' });
    expect(h.request('LDS', ['a.io'])).to.deep.equal(['LDS a.io']);
  });

  it('a target no host serves gets no listener until the host appears; then it is pushed', () => {
    const h = harness(GRPC_NODE);
    h.publish({ 'a.io': 'a' });
    expect(h.request('LDS', ['z.io'])).to.deep.equal(['LDS']);
    const before = h.record.sent.length;
    h.publish({ 'a.io': 'a', 'z.io': 'z' });
    expect(h.record.sent.slice(before).map((s) => `${s.type} ${s.names.join(',')}`)).to.deep.equal(['LDS z.io']);
  });

  it('over Delta too: a gRPC client subscribes to its target and gets that listener and its host routes', () => {
    const build = worldBuilder();
    const snapshot = build({ 'a.io': 'a', 'b.io': 'b' });
    const { stream, record } = fakeDelta(() => snapshot);
    const request = (type: string, sub: string[], ack = false) => {
      const last = [...record.sent].reverse().find((s) => s.type === type);
      stream.onRequest({
        type_url: TYPE[type]!,
        resource_names_subscribe: sub,
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: ack ? last!.nonce : '',
        node: GRPC_NODE,
      });
    };
    request('LDS', ['a.io:443']);
    request('LDS', [], true);
    request('RDS', ['grpc/a.io']);
    expect(stream.routing).to.equal('grpc');
    expect(record.sent.map((s) => `${s.type} ${s.names.join(',')}`)).to.deep.equal(['LDS a.io:443', 'RDS grpc/a.io']);
  });

  it("over Delta, '*' with named listeners: the listeners made on demand cannot be enumerated, so the named ones stay, and one whose host goes is removed", () => {
    const build = worldBuilder();
    let snapshot = build({ 'a.io': 'a', 'b.io': 'b' });
    const { stream, record } = fakeDelta(() => snapshot);
    const request = (sub: string[], ack = false) => {
      const last = [...record.sent].reverse().find((s) => s.type === 'LDS');
      stream.onRequest({
        type_url: TYPE.LDS!,
        resource_names_subscribe: sub,
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: ack ? last!.nonce : '',
        node: GRPC_NODE,
      });
    };
    request(['a.io', 'b.io']);
    request(['*'], true);
    expect(record.sent.map((s) => `${s.type} ${s.names.join(',')} -${(s.removed ?? []).join(',')}`)).to.deep.equal(['LDS a.io,b.io -']);
    request([], true);
    snapshot = build({ 'a.io': 'a' });
    stream.pump();
    expect(record.sent.slice(1).map((s) => `${s.type} ${s.names.join(',')} -${(s.removed ?? []).join(',')}`)).to.deep.equal(['LDS  -b.io']);
  });

  it('a weight flip sends the host its gRPC route configuration again, not the listener', () => {
    const h = harness(GRPC_NODE);
    h.publish({ 'a.io': { a: 10000, b: 0 } });
    h.request('LDS', ['a.io']);
    h.request('RDS', ['grpc/a.io']);
    h.request('LDS', ['a.io'], true);
    h.request('RDS', ['grpc/a.io'], true);
    h.request('CDS', ['a', 'b']);
    h.request('CDS', ['a', 'b'], true);
    h.request('EDS', ['a', 'b']);
    h.request('EDS', ['a', 'b'], true);
    const before = h.record.sent.length;
    h.publish({ 'a.io': { a: 5000, b: 5000 } });
    expect(h.record.sent.slice(before).map((s) => `${s.type} ${s.names.join(',')}`)).to.deep.equal(['RDS grpc/a.io']);
  });
});

function decodeAny(any: Uint8Array): Uint8Array {
  return (messageType('google.protobuf.Any').decode(any) as unknown as { value: Uint8Array }).value;
}
