import { expect } from 'chai';
import { edsCluster } from '../../src/resources/cluster.js';
import { loadAssignment } from '../../src/resources/endpoint.js';
import { httpListener } from '../../src/resources/listener.js';
import type { ResourcesByType } from '../../src/resources/resource.js';
import { routeConfiguration } from '../../src/resources/route.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { Snapshot, SnapshotEncoder } from '../../src/snapshot/snapshot.js';
import type { Json } from '../support/json.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };
function resources(clusters: string[], routedTo: string[] = clusters, port = 8080): ResourcesByType {
  return {
    [LISTENER_TYPE]: [httpListener({ address: '0.0.0.0', port })],
    [ROUTE_TYPE]: [
      routeConfiguration([
        {
          host: 'a.io',
          groups: [
            {
              source,
              host: 'a.io',
              path: '/',
              pathType: 'Prefix',
              order: 0,
              rules: [],
              backends: routedTo.map((c) => ({ service: c, cluster: c, declaredBasisPoints: 1, basisPoints: 1, ready: true })),
            },
          ],
        },
      ]),
    ],
    [CLUSTER_TYPE]: clusters.map((name) => edsCluster({ name })),
    [ENDPOINT_TYPE]: clusters.map((name) => loadAssignment({ name, endpoints: [{ address: '127.0.0.1', port: 1 }] })),
    [SECRET_TYPE]: [],
  };
}

/** A virtual host sending everything to one cluster. */
function vhost(host: string, cluster: string) {
  return {
    host,
    groups: [
      {
        source,
        host,
        path: '/',
        pathType: 'Prefix' as const,
        order: 0,
        rules: [],
        backends: [{ service: cluster, cluster, declaredBasisPoints: 10000, basisPoints: 10000, ready: true }],
      },
    ],
  };
}

describe('snapshot/snapshot', () => {
  it('versions are content hashes: equal content, equal versions (across processes too)', () => {
    const a = Snapshot.fromResources(resources(['ns/a/80']));
    const b = Snapshot.fromResources(resources(['ns/a/80']));
    expect(a.version(CLUSTER_TYPE))
      .to.equal(b.version(CLUSTER_TYPE))
      .and.to.match(/^[0-9a-f]{16}$/);
  });

  it("a change of one type changes only that type's version", () => {
    const a = Snapshot.fromResources(resources(['ns/a/80']));
    const b = Snapshot.fromResources(resources(['ns/a/80'], ['ns/a/80'], 9090));
    expect(a.version(LISTENER_TYPE)).to.not.equal(b.version(LISTENER_TYPE));
    expect(a.version(CLUSTER_TYPE)).to.equal(b.version(CLUSTER_TYPE));
    expect(a.version(ROUTE_TYPE)).to.equal(b.version(ROUTE_TYPE));
  });

  it('resource order does not change the version', () => {
    const a = resources(['ns/a/80', 'ns/b/80']);
    const b = resources(['ns/a/80', 'ns/b/80']);
    b[CLUSTER_TYPE].reverse();
    expect(Snapshot.fromResources(a).version(CLUSTER_TYPE)).to.equal(Snapshot.fromResources(b).version(CLUSTER_TYPE));
  });

  it('each resource is encoded once: the same bytes object is handed out every time', () => {
    const s = Snapshot.fromResources(resources(['ns/a/80']));
    const first = s.type(CLUSTER_TYPE).resources.get('ns/a/80')!.any;
    expect(s.type(CLUSTER_TYPE).resources.get('ns/a/80')!.any).to.equal(first);
  });

  it('consistent() names a route to a missing cluster', () => {
    const r = resources(['ns/a/80'], ['ns/a/80', 'ns/ghost/80']);
    expect(Snapshot.fromResources(r).problems()).to.deep.equal(['route configuration ingress_http sends traffic to cluster ns/ghost/80, which is missing']);
  });

  it('consistent() names a cluster without endpoints and a listener without routes', () => {
    const r = resources(['ns/a/80']);
    r[ENDPOINT_TYPE] = [];
    r[ROUTE_TYPE] = [];
    expect(Snapshot.fromResources(r).problems()).to.deep.equal([
      'listener ingress_http needs route configuration ingress_http, which is missing',
      'cluster ns/a/80 needs endpoints ns/a/80, which are missing',
    ]);
  });

  it('a field unknown to the Envoy API is a bug and throws', () => {
    const r = resources(['ns/a/80']);
    (r[CLUSTER_TYPE][0]!.body as Record<string, unknown>).conect_timeout = { seconds: 1 };
    expect(() => Snapshot.fromResources(r)).to.throw(/has no field "conect_timeout"/);
  });

  it('toJSON shows versions and resources as proto JSON', () => {
    const json = Snapshot.fromResources(resources(['ns/a/80'])).toJSON() as Json;
    expect(Object.keys(json)).to.deep.equal(['CDS', 'EDS', 'SDS', 'LDS', 'RDS', 'VHDS']);
    expect(json.CDS.resources[0]).to.include({ name: 'ns/a/80', type: 'EDS' });
    expect(json.RDS.resources[0].virtual_hosts[0].domains).to.deep.equal(['a.io']);
  });

  describe('cache', () => {
    it('publishes consistent snapshots to every watcher and refuses inconsistent ones', () => {
      const cache = new SnapshotCache();
      const seen: Snapshot[] = [];
      const stop = cache.watch((s) => seen.push(s));
      const good = Snapshot.fromResources(resources(['ns/a/80']));
      cache.publish(good);
      expect(cache.current()).to.equal(good);
      expect(() => cache.publish(Snapshot.fromResources(resources(['ns/a/80'], ['ns/b/80'])))).to.throw(/inconsistent/);
      expect(cache.current()).to.equal(good);
      stop();
      cache.publish(good);
      expect(seen).to.have.length(1);
    });
  });
});

describe('snapshot/SnapshotEncoder', () => {
  it('reuses the encoding of unchanged resources and encodes changed ones anew', () => {
    const encoder = new SnapshotEncoder();
    const a = encoder.build(resources(['ns/a/80', 'ns/b/80']));
    const b = encoder.build(resources(['ns/a/80', 'ns/b/80'], ['ns/a/80', 'ns/b/80'], 9090));
    expect(b.type(CLUSTER_TYPE).resources.get('ns/a/80')).to.equal(a.type(CLUSTER_TYPE).resources.get('ns/a/80'));
    expect(b.type(LISTENER_TYPE).resources.get('ingress_http')).to.not.equal(a.type(LISTENER_TYPE).resources.get('ingress_http'));
    expect(b.version(CLUSTER_TYPE)).to.equal(a.version(CLUSTER_TYPE));
  });

  it('gives the same versions as a fresh encoding', () => {
    const encoder = new SnapshotEncoder();
    encoder.build(resources(['ns/a/80']));
    const reused = encoder.build(resources(['ns/a/80', 'ns/c/80']));
    const fresh = Snapshot.fromResources(resources(['ns/a/80', 'ns/c/80']));
    for (const t of [LISTENER_TYPE, ROUTE_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE] as const) expect(reused.version(t)).to.equal(fresh.version(t));
  });

  it('a route configuration is encoded host by host, and decodes to what a plain encoding gives', async () => {
    const { encodeMessage } = await import('../../src/proto/encode.js');
    const { messageType } = await import('../../src/proto/registry.js');
    const routes = routeConfiguration([vhost('a.io', 'a'), vhost('b.io', 'b')]);
    const snapshot = new SnapshotEncoder().build({ ...resources(['a', 'b']), [ROUTE_TYPE]: [routes] });
    const type = messageType('envoy.config.route.v3.RouteConfiguration');
    const encoded = snapshot.type(ROUTE_TYPE).resources.get('ingress_http')!;
    const any = messageType('google.protobuf.Any').decode(encoded.any) as unknown as { value: Uint8Array };
    expect(type.toObject(type.decode(any.value))).to.deep.equal(type.toObject(type.decode(encodeMessage(type, routes.body))));
  });

  it('an unchanged route configuration keeps its entry, whatever object its body is', () => {
    const encoder = new SnapshotEncoder();
    const a = encoder.build(resources(['a', 'b']));
    const b = encoder.build(resources(['a', 'b']));
    expect(b.type(ROUTE_TYPE)).to.equal(a.type(ROUTE_TYPE));
  });
});

describe('snapshot: the check of a snapshot patched from the last one', () => {
  it('a host put in place that routes to a missing cluster is found, in the route configuration and in VHDS', async () => {
    const { DerivedList } = await import('../../src/resources/derived-list.js');
    const { vhdsVirtualHost, virtualHost } = await import('../../src/resources/route.js');
    const bodies = new DerivedList<ReturnType<typeof vhost>, Record<string, unknown>>();
    const vhds = new DerivedList<ReturnType<typeof vhost>, { name: string; body: Record<string, unknown> }>();
    const encoder = new SnapshotEncoder();
    const build = (hosts: Array<ReturnType<typeof vhost>>) =>
      encoder.build({
        ...resources(['a', 'b']),
        [ROUTE_TYPE]: [
          routeConfiguration(
            hosts,
            {},
            undefined,
            undefined,
            bodies.map(hosts, (v) => virtualHost(v)),
          ),
        ],
        [VIRTUAL_HOST_TYPE]: vhds.map(hosts, (v) => vhdsVirtualHost(v)),
      });
    const hosts = [vhost('a.io', 'a'), vhost('b.io', 'b')];
    expect(build(hosts).problems()).to.deep.equal([]);
    const broken = build([hosts[0]!, vhost('b.io', 'missing')]);
    expect(broken.problems()).to.deep.equal([
      'route configuration ingress_http sends traffic to cluster missing, which is missing',
      'virtual host ingress_http/b.io sends traffic to cluster missing, which is missing',
    ]);
  });
});
