// Which virtual host a gRPC target's authority routes by: Ingress host rules, not Envoy's domains.

import { expect } from 'chai';
import { resolveTarget, targetHost } from '../../src/resources/grpc-target.js';

describe('resources: gRPC target resolution', () => {
  const hosts = new Set(['mini-echo.io', '*.foo.com', '*']);
  const table: Array<[string, ReadonlySet<string>, string | undefined]> = [
    ['mini-echo.io', hosts, 'mini-echo.io'],
    ['mini-echo.io:50051', hosts, 'mini-echo.io'],
    ['MINI-ECHO.io:443', hosts, 'mini-echo.io'],
    ['bar.foo.com', hosts, '*.foo.com'],
    // A wildcard covers one label: a deeper name goes to the rules without a host.
    ['baz.bar.foo.com', hosts, '*'],
    ['foo.com', hosts, '*'],
    ['other.io', hosts, '*'],
    ['other.io', new Set(['mini-echo.io']), undefined],
    ['bar.foo.com:8443', new Set(['*.foo.com']), '*.foo.com'],
    // Not a host name and port: never served.
    ['', hosts, undefined],
    ['mini-echo.io:0', hosts, undefined],
    ['mini-echo.io:65536', hosts, undefined],
    ['mini-echo.io:', hosts, undefined],
    ['[::1]:50051', hosts, undefined],
    ['a..b', hosts, undefined],
    ['-a.io', hosts, undefined],
    ['x'.repeat(300), hosts, undefined],
    ['mini-echo.io/path', hosts, undefined],
  ];
  for (const [authority, known, expected] of table) {
    it(`${JSON.stringify(authority.slice(0, 40))} → ${expected ?? 'none'}`, () => {
      expect(resolveTarget(authority, known)).to.equal(expected);
    });
  }

  it('targetHost drops the port and lower-cases', () => {
    expect(targetHost('Mini-Echo.IO:50051')).to.equal('mini-echo.io');
    expect(targetHost('mini-echo.io')).to.equal('mini-echo.io');
  });
});
