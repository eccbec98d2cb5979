// Match conditions every dialect builds: a header, a cookie or a query parameter, equal to a value or
// searched by an RE2 pattern, checked and turned into the form Envoy matches (cookies are matched on
// the `cookie` header; patterns are searched, while Envoy fully matches).

import { checkPattern, cookieHeaderRegex, exactCookieRegex } from './regex.js';
import type { Condition } from './types.js';
import { failure, ok, type Result } from '../objects/result.js';

/** RFC 7230 token: what a header name may be. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-name (a token as well). */
export const COOKIE_NAME = HEADER_NAME;

/** A header, cookie or query condition with an exact value or a searched RE2 pattern. */
export function matchCondition(kind: 'header' | 'cookie' | 'query', name: string, value: { exact: string } | { pattern: string }): Result<Condition> {
  if (name === '') return failure(`the ${kind} name is empty`);
  if (kind === 'header' && !HEADER_NAME.test(name)) return failure(`${JSON.stringify(name)} is not a header name`);
  if (kind === 'cookie' && !COOKIE_NAME.test(name)) return failure(`${JSON.stringify(name)} is not a cookie name`);
  if (kind === 'query' && /[&=#\s]/.test(name)) return failure(`${JSON.stringify(name)} is not a query parameter name`);
  if (kind === 'cookie') {
    if ('exact' in value) {
      if (/[;\s",\\]/.test(value.exact)) return failure(`${JSON.stringify(value.exact)} cannot be a cookie value (no ; , " \\ or white space)`);
      const checked = exactCookieRegex(name, value.exact);
      return checked.ok ? ok({ kind: 'header', name: 'cookie', regex: checked.value }) : checked;
    }
    const checked = cookiePattern(name, value.pattern);
    return checked.ok ? ok({ kind: 'header', name: 'cookie', regex: checked.value }) : checked;
  }
  const envoyName = kind === 'header' ? name.toLowerCase() : name;
  if ('exact' in value) return ok({ kind, name: envoyName, exact: value.exact });
  const checked = checkPattern(value.pattern);
  return checked.ok ? ok({ kind, name: envoyName, regex: checked.value }) : checked;
}

// A cookie pattern is searched in the cookie's value, which sits inside the `cookie` header: `^` and `$`
// become the ends of the value, and an unanchored side may have other characters of the value.
function cookiePattern(name: string, pattern: string): Result<string> {
  let core = pattern;
  const start = core.startsWith('^');
  if (start) core = core.slice(1);
  const end = /(^|[^\\])(\\\\)*\$$/.test(core);
  if (end) core = core.slice(0, -1);
  if (/(^|[^\\])(\\\\)*[$^]/.test(core.replace(/\[[^\]]*\]/g, ''))) {
    return failure(`cookie pattern ${JSON.stringify(pattern)} may use ^ and $ only at its start and end`);
  }
  return checkPattern(core === '' ? '(?:)' : core, (source) => cookieHeaderRegex(name, `${start ? '' : '[^;]*'}(?:${source})${end ? '' : '[^;]*'}`));
}
