import { expect } from 'chai';
import type { PathType, SplitGroup, VirtualHostModel } from '../../src/model/types.js';
import { orderGroups, routeConfiguration, routeMatch, virtualHost } from '../../src/resources/route.js';
import type { Json } from '../support/json.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };
function group(path: string, pathType: PathType, versions: Array<[string | null, number]>, order = 0): SplitGroup {
  return {
    source,
    host: 'mini-echo.io',
    path,
    pathType,
    order,
    rules: [],
    backends: versions.map(([cluster, bp], i) => ({ service: `svc${i}`, cluster, declaredBasisPoints: bp, basisPoints: bp, ready: true })),
  };
}

describe('resources/route', () => {
  describe('routeMatch', () => {
    const cases: Array<[string, PathType, object]> = [
      ['/', 'Prefix', { prefix: '/' }],
      ['/foo', 'Prefix', { path_separated_prefix: '/foo' }],
      ['/foo/', 'Prefix', { path_separated_prefix: '/foo' }],
      ['/foo/bar', 'Prefix', { path_separated_prefix: '/foo/bar' }],
      ['/foo', 'Exact', { path: '/foo' }],
      ['/foo/', 'Exact', { path: '/foo/' }],
      ['/foo', 'ImplementationSpecific', { prefix: '/foo' }],
      ['/', 'ImplementationSpecific', { prefix: '/' }],
    ];
    for (const [path, type, match] of cases) it(`${type} ${path} → ${JSON.stringify(match)}`, () => expect(routeMatch(path, type)).to.deep.equal(match));
  });

  it('orders Exact before Prefix at equal length, longer paths first, then manifest order', () => {
    const groups = [
      group('/', 'Prefix', [['a', 10000]], 0),
      group('/api', 'Prefix', [['a', 10000]], 1),
      group('/api', 'Exact', [['a', 10000]], 2),
      group('/api/v1', 'Prefix', [['a', 10000]], 3),
      group('/b', 'ImplementationSpecific', [['a', 10000]], 4),
      group('/c', 'Prefix', [['a', 10000]], 5),
    ];
    expect(orderGroups(groups).map((g) => `${g.pathType} ${g.path}`)).to.deep.equal([
      'Prefix /api/v1',
      'Exact /api',
      'Prefix /api',
      'ImplementationSpecific /b',
      'Prefix /c',
      'Prefix /',
    ]);
  });

  describe('route actions', () => {
    const cases: Array<[string, SplitGroup, object]> = [
      [
        'two live versions → weighted_clusters in basis points',
        group('/', 'Prefix', [
          ['default/old/80', 5000],
          ['default/new/80', 5000],
        ]),
        {
          weighted_clusters: {
            clusters: [
              { name: 'default/old/80', weight: { value: 5000 } },
              { name: 'default/new/80', weight: { value: 5000 } },
            ],
          },
        },
      ],
      [
        'a weight 0 version is left out; one left → cluster',
        group('/', 'Prefix', [
          ['default/old/80', 0],
          ['default/new/80', 10000],
        ]),
        { cluster: 'default/new/80' },
      ],
      ['a single version → cluster', group('/', 'Prefix', [['default/new/80', 10000]]), { cluster: 'default/new/80' }],
      [
        'three versions keep manifest order',
        group('/', 'Prefix', [
          ['c/a/1', 3334],
          ['c/b/1', 3333],
          ['c/c/1', 3333],
        ]),
        {
          weighted_clusters: {
            clusters: [
              { name: 'c/a/1', weight: { value: 3334 } },
              { name: 'c/b/1', weight: { value: 3333 } },
              { name: 'c/c/1', weight: { value: 3333 } },
            ],
          },
        },
      ],
    ];
    for (const [title, g, action] of cases) {
      it(title, () => {
        const vhost = virtualHost({ host: 'mini-echo.io', groups: [g] }) as { routes: Array<Record<string, unknown>> };
        expect(vhost.routes[0]!.route).to.deep.equal(action);
      });
    }
    it('no resolvable version → a 503 direct response, never an empty weighted_clusters', () => {
      const vhost = virtualHost({
        host: 'a',
        groups: [
          group('/', 'Prefix', [
            [null, 5000],
            [null, 5000],
          ]),
        ],
      }) as { routes: Array<Record<string, Json>> };
      expect(vhost.routes[0]!.direct_response.status).to.equal(503);
      expect(vhost.routes[0]!.route).to.equal(undefined);
    });
  });

  it('the default backend is the last route of a virtual host, matching everything', () => {
    const vhost: VirtualHostModel = {
      host: 'mini-echo.io',
      groups: [group('/api', 'Prefix', [['a/a/1', 10000]])],
      defaultBackend: group('/', 'Prefix', [['a/default/80', 10000]]),
    };
    const body = virtualHost(vhost) as { domains: string[]; routes: Array<Record<string, Json>> };
    expect(body.domains).to.deep.equal(['mini-echo.io']);
    expect(body.routes.map((r) => [r.match, r.route.cluster])).to.deep.equal([
      [{ path_separated_prefix: '/api' }, 'a/a/1'],
      [{ prefix: '/' }, 'a/default/80'],
    ]);
  });

  it('a wildcard host is an Envoy domain as written', () => {
    expect((virtualHost({ host: '*.foo.com', groups: [] }) as { domains: string[] }).domains).to.deep.equal(['*.foo.com']);
  });

  it('the route configuration is named ingress_http', () => {
    expect(routeConfiguration([]).name).to.equal('ingress_http');
  });
});
