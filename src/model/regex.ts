// Regular expressions that end up in Envoy's `safe_regex` (Google RE2). A pattern Envoy cannot compile
// would be a NACK, so every pattern is checked here first, with the real RE2 (compiled to WebAssembly,
// the `re2-wasm` package) and against Envoy's program-size limit.
//
// Envoy matches `safe_regex` against the whole value, while ingress-nginx and ACK patterns search the
// value (an unanchored match). `searchToFullMatch` turns the one into the other.

import { createRequire } from 'node:module';
import { failure, ok, type Result } from '../objects/result.js';

const require = createRequire(import.meta.url);
// re2-wasm is CommonJS; loaded lazily because the WebAssembly module takes a moment to instantiate.
let RE2Class: (new (pattern: string, flags: string) => { internalSource: string }) | undefined;
function re2(): NonNullable<typeof RE2Class> {
  RE2Class ??= (require('re2-wasm') as { RE2: NonNullable<typeof RE2Class> }).RE2;
  return RE2Class;
}

/**
 * Envoy refuses a regex whose RE2 program is larger than the runtime key
 * `re2.max_program_size.error_level`, which defaults to 100. We keep to the default so any Envoy,
 * with any bootstrap, accepts what we send.
 */
export const ENVOY_MAX_PROGRAM_SIZE = 100;

/** A checked regex: the full-match regex to give Envoy, or why it cannot be given. */
export type RegexCheck = Result<string>;

/**
 * Checks a user's pattern (RE2 syntax, search semantics) and returns the full-match regex to give Envoy.
 * `wrap` builds the final regex from the pattern in RE2's own spelling (by default, the search as a
 * full match); the size limit applies to what Envoy compiles.
 */
export function checkPattern(pattern: string, wrap: (source: string) => string = searchToFullMatch): RegexCheck {
  if (pattern === '') return failure('the pattern is empty');
  let source: string;
  try {
    source = new (re2())(pattern, 'u').internalSource;
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/u: /, '') : String(error);
    return failure(`${JSON.stringify(pattern)} is not a regular expression Envoy (RE2) can run: ${detail}; RE2 has no look-around and no back-references`);
  }
  const regex = wrap(source);
  const size = estimateProgramSize(regex);
  if (size > ENVOY_MAX_PROGRAM_SIZE) {
    return failure(
      `${JSON.stringify(pattern)} is too complex for Envoy: its RE2 program would be about ${size} instructions and Envoy refuses more than ${ENVOY_MAX_PROGRAM_SIZE}; simplify it, e.g. fewer alternatives or repetitions`,
    );
  }
  return ok(regex);
}

/** An unanchored (search) pattern as a full-match one: `v2` → `.*(?:v2).*`; `^v2$` stays `^v2$`. */
export function searchToFullMatch(pattern: string): string {
  // With an alternative anywhere, anchors may belong to one branch only: wrap on both sides, which is
  // always right because `^` and `$` still assert the ends of the value inside `.*(?:…).*`.
  const alternation = pattern.includes('|');
  const start = !alternation && pattern.startsWith('^');
  const end = !alternation && /(^|[^\\])(\\\\)*\$$/.test(pattern);
  if (start && end) return pattern;
  return `${start ? '' : '.*'}(?:${pattern})${end ? '' : '.*'}`;
}

/** RE2 syntax for a literal string. */
export function quoteRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * The `cookie` request header carrying cookie `name` whose value matches `value` (a full-match regex
 * of the value alone). Browsers join cookies with "; ".
 */
export function cookieHeaderRegex(name: string, value: string): string {
  return `(?:.*;\\s*)?${quoteRegex(name)}=(?:${value})(?:;.*)?`;
}

/**
 * The `cookie` header regex for cookie `name` equal to `value`, or why Envoy could not run it. Its size
 * is exact, not estimated: measured against Envoy 1.40 (test/model/regex.test.ts), the fixed part costs
 * 19 instructions and each byte of name and value one more, so name and value may have 81 bytes together.
 */
export function exactCookieRegex(name: string, value: string): RegexCheck {
  const bytes = Buffer.byteLength(name) + Buffer.byteLength(value);
  if (bytes <= COOKIE_TEXT_BUDGET) return ok(cookieHeaderRegex(name, quoteRegex(value)));
  return failure(
    `matching cookie ${name}=${value} needs an RE2 program of ${COOKIE_REGEX_FIXED_COST + bytes} instructions and Envoy refuses more than ${ENVOY_MAX_PROGRAM_SIZE}; cookie name and value may have ${COOKIE_TEXT_BUDGET} bytes together`,
  );
}

const COOKIE_REGEX_FIXED_COST = 19;
/** How many bytes of cookie name and value fit in a cookie regex Envoy accepts. */
export const COOKIE_TEXT_BUDGET = ENVOY_MAX_PROGRAM_SIZE - COOKIE_REGEX_FIXED_COST;

/**
 * An upper bound of the size of the RE2 program for `regex` (RE2::ProgramSize, which Envoy checks).
 * Calibrated against Envoy 1.40 (test/model/regex.test.ts runs `envoy --mode validate` on what it
 * accepts): a literal byte costs 1, a character class or `.` at most 10 in UTF-8, each repetition or
 * alternative a few more, and counted repetitions copy their operand.
 */
export function estimateProgramSize(regex: string): number {
  const parser = new SizeParser(regex);
  return 6 + parser.alternation();
}

class SizeParser {
  private i = 0;
  constructor(private readonly s: string) {}

  alternation(): number {
    let total = this.sequence();
    while (this.s[this.i] === '|') {
      this.i++;
      total += 2 + this.sequence();
    }
    return total;
  }

  private sequence(): number {
    let total = 0;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      total += this.quantified(this.atom());
    }
    return total;
  }

  private atom(): number {
    const c = this.s[this.i];
    if (c === '(') {
      this.i++;
      let capture = true;
      if (this.s[this.i] === '?') {
        const flagsOnly = /^\?[a-zA-Z-]*\)/.exec(this.s.slice(this.i));
        if (flagsOnly) {
          this.i += flagsOnly[0].length;
          return 0;
        }
        const named = /^\?P?<[^>]*>/.exec(this.s.slice(this.i));
        if (named) this.i += named[0].length;
        else {
          capture = false;
          const flags = /^\?[a-zA-Z-]*:/.exec(this.s.slice(this.i));
          this.i += flags ? flags[0].length : 1;
        }
      }
      const inner = this.alternation();
      if (this.s[this.i] === ')') this.i++;
      return inner + (capture ? 2 : 0);
    }
    if (c === '[') {
      this.i++;
      if (this.s[this.i] === '^') this.i++;
      if (this.s[this.i] === ']') this.i++;
      while (this.i < this.s.length && this.s[this.i] !== ']') {
        if (this.s.startsWith('[:', this.i)) {
          const close = this.s.indexOf(':]', this.i);
          this.i = close < 0 ? this.s.length : close + 2;
        } else this.i += this.s[this.i] === '\\' ? 2 : 1;
      }
      this.i++;
      return 10;
    }
    if (c === '\\') {
      const next = this.s[this.i + 1] ?? '';
      this.i += 2;
      if (/[pP]/.test(next)) {
        if (this.s[this.i] === '{') this.i = this.s.indexOf('}', this.i) + 1 || this.s.length;
        else this.i++;
        return 10;
      }
      return /[dDsSwWbBAzQE]/.test(next) ? 10 : 1;
    }
    this.i++;
    if (c === '.') return 10;
    if (c === '^' || c === '$') return 1;
    return Buffer.byteLength(c ?? '', 'utf8');
  }

  private quantified(cost: number): number {
    const c = this.s[this.i];
    let result = cost;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      result = cost + 2;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return cost;
      this.i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3]);
      result = Math.max(1, max) * (cost + 2);
    } else return cost;
    if (this.s[this.i] === '?') this.i++;
    return result;
  }
}
