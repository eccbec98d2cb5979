import { expect } from 'chai';
import type { SplitGroup } from '../../src/model/types.js';
import { COOKIE_TEXT_BUDGET } from '../../src/model/regex.js';
import { stickyValues } from '../../src/model/dialects/sticky.js';
import { oneLabelAuthorityRegex } from '../../src/model/wildcard.js';
import { authorityMatchers, groupRoutes as routesOf, type RouteOptions } from '../../src/resources/route.js';
import type { Json } from '../support/json.js';

// The model decides the sticky values and the wildcard's authority regex; these tables give the
// annotation and the host, and check the routes made from what the model decides.
type Input = Omit<SplitGroup, 'stickyValues'>;
const groupRoutes = (g: Input, authority: Parameters<typeof routesOf>[1], options?: RouteOptions) =>
  routesOf(g.sticky ? { ...g, stickyValues: stickyValues(g.sticky, g.backends) } : g, authority, options);
const singleLabelWildcard = (host: string) => authorityMatchers(oneLabelAuthorityRegex(host));

const source = { kind: 'Ingress', namespace: 'default', name: 'shop' };
const version = (service: string, basisPoints: number, ready = true) => ({
  service,
  cluster: `default/${service}/80`,
  declaredBasisPoints: basisPoints,
  basisPoints,
  ready,
});

describe('resources/route: rules, sticky cookie and wildcards', () => {
  const base: Input = {
    source,
    host: 'shop.test',
    path: '/api/',
    pathType: 'Prefix',
    order: 0,
    rules: [],
    backends: [version('old', 7000), version('new', 3000)],
  };

  it('rules come first, each with its matchers, then the weighted route', () => {
    const group: Input = {
      ...base,
      rules: [
        { conditions: [{ kind: 'header', name: 'x-canary', exact: 'always' }], targets: [{ backend: 1, basisPoints: 10000 }], reason: 'h' },
        {
          conditions: [{ kind: 'query', name: 'ver', regex: '.*(?:2).*' }],
          targets: [
            { backend: 0, basisPoints: 5000 },
            { backend: 1, basisPoints: 5000 },
          ],
          reason: 'q',
        },
      ],
    };
    const routes = groupRoutes(group, []);
    expect(routes.map((r) => r.match)).to.deep.equal([
      { path_separated_prefix: '/api', headers: [{ name: 'x-canary', string_match: { exact: 'always' } }] },
      { path_separated_prefix: '/api', query_parameters: [{ name: 'ver', string_match: { safe_regex: { regex: '.*(?:2).*' } } }] },
      { path_separated_prefix: '/api' },
    ]);
    expect(routes[0]!.route).to.deep.equal({ cluster: 'default/new/80' });
    expect(routes[1]!.route).to.deep.equal({
      weighted_clusters: {
        clusters: [
          { name: 'default/old/80', weight: { value: 5000 } },
          { name: 'default/new/80', weight: { value: 5000 } },
        ],
      },
    });
  });

  it('sticky: a cookie route per live version, and the weighted route sets the cookie with Path and Max-Age', () => {
    const routes = groupRoutes({ ...base, sticky: { cookie: 'sp', maxAgeSeconds: 60 } }, []);
    expect(routes.map((r) => r.name)).to.deep.equal([
      'default/shop:shop.test:Prefix:/api/:sticky:old',
      'default/shop:shop.test:Prefix:/api/:sticky:new',
      'default/shop:shop.test:Prefix:/api/',
    ]);
    expect((routes[0]!.match as Json).headers[0].name).to.equal('cookie');
    const weighted = (routes[2]!.route as Json).weighted_clusters.clusters;
    expect(weighted[0].response_headers_to_add).to.deep.equal([
      { header: { key: 'set-cookie', value: 'sp=old; Path=/api; Max-Age=60; HttpOnly; SameSite=Lax' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
  });

  it('sticky: a ";" in the path is percent-encoded in the cookie\'s Path, so it cannot start another attribute', () => {
    const routes = groupRoutes({ ...base, path: '/a;b', sticky: { cookie: 'sp' } }, []);
    const weighted = (routes.at(-1)!.route as Json).weighted_clusters.clusters;
    expect(weighted[0].response_headers_to_add[0].header.value).to.equal('sp=old; Path=/a%3Bb; HttpOnly; SameSite=Lax');
  });

  it('sticky with one live version: a plain route and no cookie (nothing to stick to)', () => {
    const routes = groupRoutes({ ...base, backends: [version('old', 0), version('new', 10000)], sticky: { cookie: 'sp' } }, []);
    expect(routes).to.have.length(1);
    expect(routes[0]!.route).to.deep.equal({ cluster: 'default/new/80' });
  });

  it('a wildcard host gets an :authority check for exactly one label; other hosts none', () => {
    expect(singleLabelWildcard('shop.test')).to.deep.equal([]);
    const [m] = singleLabelWildcard('*.shop.test');
    const regex = new RegExp(`^${(m!.string_match as Json).safe_regex.regex}$`);
    expect(['a.shop.test', 'x-1.shop.test'].every((h) => regex.test(h))).to.equal(true);
    expect(['a.b.shop.test', 'shop.test'].some((h) => regex.test(h))).to.equal(false);
  });

  it('a group that redirects: first a plain-HTTP-only 308 to HTTPS on the given port, then its routes', () => {
    const group: Input = {
      ...base,
      redirectToHttps: true,
      rules: [{ conditions: [{ kind: 'header', name: 'x-canary', exact: 'always' }], targets: [{ backend: 1, basisPoints: 10000 }], reason: 'h' }],
    };
    const authority = singleLabelWildcard('*.shop.test');
    const routes = groupRoutes(group, authority, { httpsRedirectPort: 8443 });
    expect(routes.map((r) => r.name)).to.deep.equal([
      'default/shop:shop.test:Prefix:/api/:https-redirect',
      'default/shop:shop.test:Prefix:/api/:rule0',
      'default/shop:shop.test:Prefix:/api/',
    ]);
    expect(routes[0]!.match).to.deep.equal({ path_separated_prefix: '/api', headers: [...authority, { name: ':scheme', string_match: { exact: 'http' } }] });
    expect(routes[0]!.redirect).to.deep.equal({ https_redirect: true, port_redirect: 8443, response_code: 'PERMANENT_REDIRECT' });
    // On 443 the Location carries no port at all.
    expect(groupRoutes(group, [], { httpsRedirectPort: 443 })[0]!.redirect).to.deep.equal({ https_redirect: true, response_code: 'PERMANENT_REDIRECT' });
    // Without an HTTPS port to send clients to, nothing redirects.
    expect(groupRoutes(group, []).map((r) => r.name)).to.not.include('default/shop:shop.test:Prefix:/api/:https-redirect');
    expect(groupRoutes(base, [], { httpsRedirectPort: 8443 })).to.have.length(1);
  });

  it('sticky cookie values: the Service name when it alone names the version and fits; else a short stable hash', () => {
    const long = 'a'.repeat(63);
    const values = (group: Input) =>
      groupRoutes(group, [])
        .filter((r) => String(r.name).includes(':sticky:'))
        .map((r) => String(r.name).split(':sticky:')[1]);
    // A 63-character Service name fits with a short cookie name.
    expect(values({ ...base, backends: [version(long, 5000), version('new', 5000)], sticky: { cookie: 'sp' } })).to.deep.equal([long, 'new']);
    // With a cookie name of 71 characters only the hash fits.
    const hashed = values({ ...base, backends: [version(long, 5000), version('new', 5000)], sticky: { cookie: 'c'.repeat(71) } });
    expect(hashed[0]).to.match(/^v-[0-9a-f]{8}$/);
    expect(hashed[1]).to.equal('new');
    // One Service on two ports: two versions, two values, each stable.
    const twoPorts: Input = {
      ...base,
      backends: [
        { ...version('web', 5000), cluster: 'default/web/80' },
        { ...version('web', 5000), cluster: 'default/web/8080' },
      ],
      sticky: { cookie: 'sp' },
    };
    const [v80, v8080] = values(twoPorts);
    expect(v80).to.match(/^v-[0-9a-f]{8}$/);
    expect(v8080).to.match(/^v-[0-9a-f]{8}$/);
    expect(v80).to.not.equal(v8080);
    expect(values(twoPorts)).to.deep.equal([v80, v8080]);
    // The Set-Cookie of each weighted entry carries the same value its cookie route matches.
    const weighted = (groupRoutes(twoPorts, []).at(-1)!.route as Json).weighted_clusters.clusters;
    expect(weighted.map((c: Json) => c.response_headers_to_add[0].header.value.split(';')[0])).to.deep.equal([`sp=${v80}`, `sp=${v8080}`]);
    // Every cookie route fits Envoy's regex limit, with the longest cookie name the annotation allows.
    const longest = 'c'.repeat(COOKIE_TEXT_BUDGET - 10);
    for (const value of [...hashed, v80, v8080]) expect(longest.length + value!.length).to.be.at.most(COOKIE_TEXT_BUDGET);
  });
});
