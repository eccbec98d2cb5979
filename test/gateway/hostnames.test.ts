// Hostname intersection, from the Gateway API specification's own examples (HTTPRouteSpec.hostnames,
// "Hostnames in Gateway API").

import { expect } from 'chai';
import { ANY_HOSTNAME, hostnameMatches, intersectHostnames } from '../../src/gateway/hostnames.js';

describe('gateway/hostnames', () => {
  it('a wildcard is a suffix match of one or more labels, never the bare domain', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*.example.com', 'test.example.com', true],
      ['*.example.com', 'foo.test.example.com', true],
      ['*.example.com', 'example.com', false],
      ['*.example.com', 'test.example.net', false],
      ['*.example.com', '*.foo.example.com', true],
      ['*.example.com', '*.example.com', false],
      ['www.example.com', 'www.example.com', true],
      ['www.example.com', 'web.example.com', false],
    ];
    for (const [pattern, hostname, matches] of cases) expect(hostnameMatches(pattern, hostname), `${pattern} ~ ${hostname}`).to.equal(matches);
  });

  const table: Array<[string | undefined, string[], string[]]> = [
    // A listener with test.example.com: routes with no hostnames, test.example.com or *.example.com.
    ['test.example.com', [], ['test.example.com']],
    ['test.example.com', ['test.example.com'], ['test.example.com']],
    ['test.example.com', ['*.example.com'], ['test.example.com']],
    ['test.example.com', ['other.example.com'], []],
    // A listener with *.example.com: *.example.com, test.example.com and foo.test.example.com, not example.com.
    ['*.example.com', ['*.example.com'], ['*.example.com']],
    ['*.example.com', ['test.example.com', 'foo.test.example.com'], ['test.example.com', 'foo.test.example.com']],
    ['*.example.com', ['example.com', 'test.example.net'], []],
    ['*.example.com', ['example.com', 'a.example.com'], ['a.example.com']],
    // Two wildcards: the more precise.
    ['*.foo.example.com', ['*.example.com'], ['*.foo.example.com']],
    ['*.example.com', ['*.foo.example.com'], ['*.foo.example.com']],
    // No listener hostname: the route's; neither: every hostname.
    [undefined, ['a.example.com', 'A.example.com'], ['a.example.com']],
    [undefined, [], [ANY_HOSTNAME]],
    ['', [], [ANY_HOSTNAME]],
  ];
  for (const [listener, route, served] of table)
    it(`listener ${listener === undefined ? '(none)' : JSON.stringify(listener)} × route ${JSON.stringify(route)} → ${JSON.stringify(served)}`, () => {
      expect(intersectHostnames(listener, route)).to.deep.equal(served);
    });
});
