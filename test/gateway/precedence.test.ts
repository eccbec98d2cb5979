// HTTPRoute match precedence across routes, as the Gateway API specification orders it.

import { expect } from 'chai';
import fc from 'fast-check';
import { compareMatches, inPrecedence, type RankedMatch } from '../../src/gateway/precedence.js';

function m(over: Partial<RankedMatch> & { id: string }): RankedMatch & { id: string } {
  return { path: { type: 'PathPrefix', value: '/' }, headers: 0, queryParams: 0, route: { namespace: 'default', name: 'r' }, rule: 0, match: 0, ...over };
}

describe('gateway/precedence', () => {
  it('Exact before PathPrefix, the longest path first, then method, headers, query parameters', () => {
    const ordered = inPrecedence([
      m({ id: 'prefix /', path: { type: 'PathPrefix', value: '/' } }),
      m({ id: 'prefix /a with 2 headers', path: { type: 'PathPrefix', value: '/a' }, headers: 2 }),
      m({ id: 'prefix /a with method', path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }),
      m({ id: 'prefix /a with query', path: { type: 'PathPrefix', value: '/a' }, queryParams: 1 }),
      m({ id: 'prefix /abc', path: { type: 'PathPrefix', value: '/abc' } }),
      m({ id: 'exact /', path: { type: 'Exact', value: '/' } }),
      m({ id: 'regex /a.*', path: { type: 'RegularExpression', value: '/a.*' } }),
      m({ id: 'exact /a/b', path: { type: 'Exact', value: '/a/b' } }),
    ]);
    expect(ordered.map((x) => x.id)).to.deep.equal([
      'exact /a/b',
      'exact /',
      'prefix /abc',
      'prefix /a with method',
      'prefix /a with 2 headers',
      'prefix /a with query',
      'prefix /',
      'regex /a.*',
    ]);
  });

  it('ties across routes: the oldest route, then namespace/name; within a route, the first rule, then the first match', () => {
    const ordered = inPrecedence([
      m({ id: 'b/newer', route: { namespace: 'b', name: 'x', creationTimestamp: '2026-01-02T00:00:00Z' } }),
      m({ id: 'a/z older', route: { namespace: 'a', name: 'z', creationTimestamp: '2026-01-01T00:00:00Z' } }),
      m({ id: 'a/y older', route: { namespace: 'a', name: 'y', creationTimestamp: '2026-01-01T00:00:00Z' } }),
      m({ id: 'no timestamp', route: { namespace: 'a', name: 'a' } }),
      m({ id: 'a/y older, rule 1', route: { namespace: 'a', name: 'y', creationTimestamp: '2026-01-01T00:00:00Z' }, rule: 1 }),
      m({ id: 'a/y older, rule 0 match 1', route: { namespace: 'a', name: 'y', creationTimestamp: '2026-01-01T00:00:00Z' }, match: 1 }),
    ]);
    expect(ordered.map((x) => x.id)).to.deep.equal(['a/y older', 'a/y older, rule 0 match 1', 'a/y older, rule 1', 'a/z older', 'b/newer', 'no timestamp']);
  });

  it('property: a total order (antisymmetric, and the same order whatever the input order)', () => {
    const match = fc.record({
      path: fc.record({
        type: fc.constantFrom('Exact' as const, 'PathPrefix' as const, 'RegularExpression' as const),
        value: fc.constantFrom('/', '/a', '/ab', '/a/b'),
      }),
      method: fc.option(fc.constantFrom('GET', 'POST'), { nil: undefined }),
      headers: fc.nat(3),
      queryParams: fc.nat(3),
      route: fc.record({
        namespace: fc.constantFrom('a', 'b'),
        name: fc.constantFrom('x', 'y'),
        creationTimestamp: fc.option(fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'), { nil: undefined }),
      }),
      rule: fc.nat(3),
      match: fc.nat(3),
    });
    fc.assert(
      fc.property(fc.array(match, { maxLength: 12 }), (matches) => {
        for (const a of matches) for (const b of matches) expect(Math.sign(compareMatches(a, b))).to.equal(-Math.sign(compareMatches(b, a)) || 0);
        expect(JSON.stringify(inPrecedence(matches))).to.equal(JSON.stringify(inPrecedence([...matches].reverse())));
      }),
    );
  });
});
