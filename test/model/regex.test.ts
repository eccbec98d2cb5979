import { expect } from 'chai';
import {
  COOKIE_TEXT_BUDGET,
  ENVOY_MAX_PROGRAM_SIZE,
  checkPattern,
  cookieHeaderRegex,
  estimateProgramSize,
  exactCookieRegex,
  quoteRegex,
  searchToFullMatch,
} from '../../src/model/regex.js';
import { oneLabelAuthorityRegex } from '../../src/model/wildcard.js';
import { authorityMatchers } from '../../src/resources/route.js';
import { envoyValidates, listenerBootstrap } from '../support/envoy-validate.js';
import { reason } from '../../src/objects/result.js';

/** Runs `envoy --mode validate` on a static route table that matches a header against each regex. */
function envoyAccepts(regexes: readonly string[]): { ok: boolean; output: string } {
  const routes = regexes.map((regex) => ({
    match: { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex } } }] },
    direct_response: { status: 200 },
  }));
  return envoyValidates(
    listenerBootstrap([
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'x',
              route_config: { virtual_hosts: [{ name: 'v', domains: ['*'], routes }] },
              http_filters: [
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ]),
  );
}

// A small deterministic generator of RE2 patterns, for checking the size estimate against Envoy.
function corpus(count: number): string[] {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const atoms = ['a', 'bc', '.', '[a-z]', '[^;]', '\\d', '\\s', '(x|yz)', '(?:v[0-9])', 'é', '\\.', '[[:alpha:]]'];
  const quantifiers = ['', '', '*', '+', '?', '{2}', '{1,3}'];
  const out: string[] = [];
  while (out.length < count) {
    const n = 1 + Math.floor(next() * 8);
    let p = next() < 0.3 ? '^' : '';
    for (let i = 0; i < n; i++) p += atoms[Math.floor(next() * atoms.length)]! + quantifiers[Math.floor(next() * quantifiers.length)]!;
    if (next() < 0.3) p += '$';
    out.push(p);
  }
  return out;
}

const singleLabelWildcard = (host: string) => authorityMatchers(oneLabelAuthorityRegex(host));

describe('model/regex', function () {
  this.timeout(600_000); // the first Envoy call may install it

  it('searchToFullMatch keeps search semantics under Envoy full matching', () => {
    const cases: Array<[string, string]> = [
      ['^v2$', '^v2$'],
      ['v2', '.*(?:v2).*'],
      ['^v2', '(?:^v2).*'],
      ['v2$', '.*(?:v2$)'],
      ['^a|b$', '.*(?:^a|b$).*'],
      ['a\\$', '.*(?:a\\$).*'],
    ];
    for (const [input, expected] of cases) expect(searchToFullMatch(input), input).to.equal(expected);
  });

  it('checkPattern: RE2 syntax errors and oversized programs are errors that say why', () => {
    const cases: Array<[string, RegExp]> = [
      ['(?=a)', /look-around/],
      ['(a)\\1', /not a regular expression Envoy \(RE2\) can run/],
      ['a{1001}', /repetition/],
      ['(beta', /missing \)/],
      ['', /empty/],
      ['([a-z]+\\.){6}[a-z]{2,6}', /too complex for Envoy/],
    ];
    for (const [pattern, message] of cases) {
      const result = checkPattern(pattern);
      expect(result.ok ? '' : reason(result), pattern).to.match(message);
    }
    expect(checkPattern('^(beta|gamma)$')).to.deep.equal({ ok: true, value: '.*(?:^(beta|gamma)$).*' });
    expect(checkPattern('(?<ver>v2)')).to.deep.equal({ ok: true, value: '.*(?:(?P<ver>v2)).*' });
  });

  it('cookieHeaderRegex finds one cookie among others, and no other cookie', () => {
    const re = new RegExp(`^${cookieHeaderRegex('canary', quoteRegex('always'))}$`);
    for (const header of ['canary=always', 'a=1; canary=always', 'canary=always; b=2', 'a=1;canary=always;b=2']) expect(re.test(header), header).to.equal(true);
    for (const header of ['xcanary=always', 'canary=alwaysx', 'canary=never', 'a=canary=always']) expect(re.test(header), header).to.equal(false);
  });

  it('the size estimate is an upper bound: everything it accepts, Envoy 1.40 compiles (envoy --mode validate) @envoy', () => {
    const generated = [...corpus(60).map(searchToFullMatch), ...corpus(20).map((p) => cookieHeaderRegex('session-version', `[^;]*(?:${p})`))];
    const accepted = generated.filter((r) => estimateProgramSize(r) <= ENVOY_MAX_PROGRAM_SIZE);
    const ours = [
      cookieHeaderRegex('a-rather-long-sticky-cookie-name', quoteRegex('a-rather-long-service-name-v2')),
      ...[1, 2, 3, 4, 5]
        .map((n) => singleLabelWildcard(`*.${'x.'.repeat(n - 1)}test`))
        .flat()
        .map((m) => (m.string_match as { safe_regex: { regex: string } }).safe_regex.regex),
    ];
    expect(accepted.length, 'patterns the estimate accepts').to.be.greaterThan(30);
    const result = envoyAccepts([...accepted, ...ours]);
    expect(result.ok, result.output).to.equal(true);
  });

  it('exactCookieRegex is exact at the limit: 81 bytes of name and value Envoy runs, 82 it refuses, and so do we @envoy', () => {
    expect(COOKIE_TEXT_BUDGET).to.equal(81);
    // ASCII, characters that need quoting, and two-byte UTF-8: the cost is per byte.
    const fits: Array<[string, string]> = [
      ['sp-version', 'v'.repeat(71)],
      ['a.b*c', '.'.repeat(76)],
      ['n', 'é'.repeat(40)],
    ];
    const over: Array<[string, string]> = [
      ['sp-version', 'v'.repeat(72)],
      ['a.b*c', '.'.repeat(77)],
      ['n', `${'é'.repeat(40)}x`],
    ];
    const regexes = fits.map(([name, value]) => {
      const checked = exactCookieRegex(name, value);
      expect(checked.ok, `${name}=${value}`).to.equal(true);
      return checked.ok ? checked.value : '';
    });
    const accepted = envoyAccepts(regexes);
    expect(accepted.ok, accepted.output).to.equal(true);
    for (const [name, value] of over) {
      const refusedByUs = exactCookieRegex(name, value);
      expect(refusedByUs.ok ? '' : reason(refusedByUs), `${name}=${value}`).to.match(/Envoy refuses more than 100/);
      const refused = envoyAccepts([cookieHeaderRegex(name, quoteRegex(value))]);
      expect(refused.ok, `Envoy on ${name}=${value}`).to.equal(false);
      expect(refused.output).to.match(/program size of 101 >/);
    }
  });

  it('the limit is real: a program Envoy finds too big is refused by Envoy (the check can fail) @envoy', () => {
    const big = 'a'.repeat(120);
    expect(estimateProgramSize(big)).to.be.greaterThan(ENVOY_MAX_PROGRAM_SIZE);
    const result = envoyAccepts([big]);
    expect(result.ok).to.equal(false);
    expect(result.output).to.match(/program size/);
  });
});
