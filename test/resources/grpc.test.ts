// gRPC's route configuration per host and its listener: only what gRPC's xDS client accepts (A28:
// prefix, path or safe_regex matches; header matchers; cluster or weighted_clusters actions).

import { expect } from 'chai';
import type { Backend, SplitGroup, VirtualHostModel } from '../../src/model/types.js';
import { grpcListener, grpcPathMatch, grpcRouteConfiguration, hostOfGrpcRouteConfig } from '../../src/resources/grpc.js';
import type { ResourceBody } from '../../src/resources/resource.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };

function version(service: string, basisPoints: number, cluster: string | null = `default/${service}/80`): Backend {
  return { service, cluster, declaredBasisPoints: basisPoints, basisPoints, ready: cluster !== null };
}

function group(fields: Partial<SplitGroup>): SplitGroup {
  return {
    source,
    host: 'mini-echo.io',
    path: '/',
    pathType: 'Prefix',
    order: 0,
    rules: [],
    backends: [version('old', 5000), version('new', 5000)],
    ...fields,
  };
}

function routesOf(vhost: VirtualHostModel): ResourceBody[] {
  const body = grpcRouteConfiguration(vhost).body as { virtual_hosts: Array<{ domains: string[]; routes: ResourceBody[] }> };
  expect(body.virtual_hosts).to.have.length(1);
  expect(body.virtual_hosts[0]!.domains).to.deep.equal(['*']);
  return body.virtual_hosts[0]!.routes;
}

describe('resources: gRPC routes and listeners', () => {
  const paths: Array<[string, 'Exact' | 'Prefix' | 'ImplementationSpecific', ResourceBody]> = [
    ['/', 'Prefix', { prefix: '/' }],
    ['/helloworld.Greeter', 'Prefix', { prefix: '/helloworld.Greeter/' }],
    ['/helloworld.Greeter/', 'Prefix', { prefix: '/helloworld.Greeter/' }],
    ['/helloworld.Greeter/SayHello', 'Exact', { path: '/helloworld.Greeter/SayHello' }],
    ['/helloworld', 'ImplementationSpecific', { prefix: '/helloworld' }],
  ];
  for (const [path, pathType, expected] of paths) {
    it(`${pathType} ${path} → ${JSON.stringify(expected)} (never path_separated_prefix, which gRPC refuses)`, () => {
      expect(grpcPathMatch(path, pathType)).to.deep.equal(expected);
    });
  }

  it('a split becomes weighted_clusters in basis points, named as for Envoy', () => {
    const routes = routesOf({ host: 'mini-echo.io', groups: [group({})] });
    expect(routes).to.deep.equal([
      {
        name: 'default/echo:mini-echo.io:Prefix:/',
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'default/old/80', weight: { value: 5000 } },
              { name: 'default/new/80', weight: { value: 5000 } },
            ],
          },
        },
      },
    ]);
  });

  it('header rules stay; query rules, which no gRPC request can meet, are left out', () => {
    const rules = [
      { conditions: [{ kind: 'header' as const, name: 'x-canary', exact: 'always' }], targets: [{ backend: 1, basisPoints: 10000 }], reason: 'header' },
      { conditions: [{ kind: 'query' as const, name: 'ver', exact: '2' }], targets: [{ backend: 1, basisPoints: 10000 }], reason: 'query' },
    ];
    const routes = routesOf({ host: 'mini-echo.io', groups: [group({ rules })] });
    expect(routes.map((r) => r.name)).to.deep.equal(['default/echo:mini-echo.io:Prefix:/:rule0', 'default/echo:mini-echo.io:Prefix:/']);
    expect(routes[0]).to.deep.include({
      match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'always' } }] },
      route: { cluster: 'default/new/80' },
    });
  });

  it('sticky groups get no cookie routes and no Set-Cookie: gRPC keeps no cookies', () => {
    const sticky = group({
      sticky: { cookie: 'sp' },
      stickyValues: [
        { value: 'old', match: { kind: 'header', name: 'cookie', regex: '.*' } },
        { value: 'new', match: { kind: 'header', name: 'cookie', regex: '.*' } },
      ],
    });
    const routes = routesOf({ host: 'mini-echo.io', groups: [sticky] });
    expect(routes).to.have.length(1);
    expect(JSON.stringify(routes)).to.not.contain('set-cookie');
  });

  it('a group with no live backend is left out (gRPC refuses direct_response); the default backend comes last', () => {
    const dead = group({ path: '/a', backends: [version('gone', 10000, null)] });
    const redirected = group({ path: '/b', redirectToHttps: true, backends: [version('b', 10000)] });
    const vhost: VirtualHostModel = { host: 'mini-echo.io', groups: [dead, redirected], defaultBackend: group({ backends: [version('fallback', 10000)] }) };
    const routes = routesOf(vhost);
    expect(routes.map((r) => [r.match, r.route])).to.deep.equal([
      [{ prefix: '/b/' }, { cluster: 'default/b/80' }],
      [{ prefix: '/' }, { cluster: 'default/fallback/80' }],
    ]);
    for (const r of routes) expect(r).to.not.have.any.keys('direct_response', 'redirect');
  });

  it('a listener is an api_listener taking its routes over ADS, router filter last', () => {
    expect(grpcListener('mini-echo.io:50051', 'grpc/mini-echo.io').body).to.deep.equal({
      name: 'mini-echo.io:50051',
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          rds: { route_config_name: 'grpc/mini-echo.io', config_source: { ads: {}, resource_api_version: 'V3' } },
          http_filters: [
            { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
          ],
        },
      },
    });
    expect(hostOfGrpcRouteConfig('grpc/*.foo.com')).to.equal('*.foo.com');
    expect(hostOfGrpcRouteConfig('ingress_http')).to.equal(undefined);
  });
});
