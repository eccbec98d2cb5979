import { expect } from 'chai';
import { encodeMessage } from '../../src/proto/encode.js';
import { messageType } from '../../src/proto/registry.js';
import { DerivedList } from '../../src/resources/derived-list.js';
import { ComposedRoute, type RouteBody } from '../../src/snapshot/composed-route.js';

const ROUTE = 'envoy.config.route.v3.RouteConfiguration';

function host(i: number, cluster: string): Record<string, unknown> {
  return { name: `h${i}`, domains: [`h${i}.io`], routes: [{ match: { prefix: '/' }, route: { cluster } }] };
}

function body(hosts: Array<Record<string, unknown>>): RouteBody {
  return { name: 'ingress_http', virtual_hosts: hosts, validate_clusters: { value: false } };
}

describe('snapshot/composed-route', () => {
  it('its bytes decode to the configuration (its other fields first, then each host: protobuf allows any field order)', () => {
    const b = body([host(0, 'a'), host(1, 'b')]);
    const route = ComposedRoute.of({ name: 'ingress_http', body: b }, undefined);
    const type = messageType(ROUTE);
    expect(type.toObject(type.decode(route.value))).to.deep.equal(type.toObject(type.decode(encodeMessage(type, b))));
    expect([...route.references].sort()).to.deep.equal(['a', 'b']);
  });

  it('made from the last one with hosts replaced in place: the version and bytes of a fresh one, and only the new hosts to check', () => {
    const list = new DerivedList<number, Record<string, unknown>>();
    const ids = Array.from({ length: 150 }, (_, i) => i);
    const first = ComposedRoute.of({ name: 'ingress_http', body: body(list.map(ids, (i) => host(i, 'a'))) }, undefined);
    const changed = ids.slice();
    changed[70] = 1070;
    const hosts = list.map(changed, (i) => host(i % 1000, 'c'));
    const second = ComposedRoute.of({ name: 'ingress_http', body: body(hosts) }, first);
    const fresh = ComposedRoute.of({ name: 'ingress_http', body: body(hosts.map((h) => ({ ...h }))) }, undefined);
    expect(second.base).to.equal(first);
    expect(second.version).to.equal(fresh.version);
    expect(second.version).to.not.equal(first.version);
    expect(Buffer.from(second.value).equals(Buffer.from(fresh.value))).to.equal(true);
    expect(second.referencesSinceBase()).to.deep.equal(['c']);
    expect([...second.references].sort()).to.deep.equal(['a', 'c']);
    expect(fresh.base, 'not made from another').to.equal(undefined);
  });
});
