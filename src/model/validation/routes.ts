// HTTPRoute and GRPCRoute: what their CRD schemas and CEL rules make the API server refuse (list sizes,
// enums, path and header formats, weight and port ranges, the filter combinations the spec forbids),
// checked the same way for manifests in a folder. References that do not resolve, a regex Envoy's RE2
// refuses or a listener that does not take the route are not here: they are conditions on the route.

import type { GRPCRoute, HTTPRoute } from '../../objects/gateway-api.js';
import { GATEWAY_HOSTNAME, GROUP, KIND, OBJECT_NAME, PRECISE_HOSTNAME, SECTION_NAME, checkObjectReference, withoutNulls } from './gateway-api.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, quote, type Shape } from './shape.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** Gateway API `Duration`: up to four whole-number parts with h, m, s or ms, such as 1h30m or 500ms. */
export const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const HTTP_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef'] as const;
const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;
const FILTER_FIELD: Readonly<Record<string, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
};
/** Filters a rule (or a backend) may carry at most once. */
const ONCE = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'];
const MAX_RULES = 16;
const MAX_MATCHES = 64;
const MAX_MATCHES_TOTAL = 128;
const MAX_WEIGHT = 1_000_000;

export function checkHttpRoute(object: Record<string, unknown>, shape: Shape): HTTPRoute | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = checkCommon(object, shape);
  if (spec) {
    const rules = checkRuleList(spec.rules, shape);
    let matches = 0;
    rules?.forEach((value, i) => {
      const field = `spec.rules[${i}]`;
      const checked = checkRule(value, field, shape);
      if (!checked) return;
      const { rule, list } = checked;
      matches += list?.length ?? 1;
      const prefixMatches = (list ?? [undefined]).map((m, j) => checkHttpMatch(m, `${field}.matches[${j}]`, shape));
      const onePrefix = prefixMatches.length === 1 && prefixMatches[0] === 'PathPrefix';
      checkFilters(rule.filters, `${field}.filters`, HTTP_FILTERS, onePrefix, shape);
      checkBackendRefs(rule.backendRefs, `${field}.backendRefs`, HTTP_FILTERS, onePrefix, shape);
      const timeouts = shape.map(rule.timeouts, `${field}.timeouts`);
      if (timeouts) {
        const request = durationOf(timeouts.request, `${field}.timeouts.request`, shape);
        const backend = durationOf(timeouts.backendRequest, `${field}.timeouts.backendRequest`, shape);
        if (request !== undefined && backend !== undefined && request !== 0 && backend > request)
          shape.sink.error(`${field}.timeouts.backendRequest`, 'must not be longer than timeouts.request');
      }
    });
    if (matches > MAX_MATCHES_TOTAL) shape.sink.error('spec.rules', `have ${matches} matches together; at most ${MAX_MATCHES_TOTAL} are allowed`);
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(withoutNulls(object) as unknown as HTTPRoute, metadata);
}

export function checkGrpcRoute(object: Record<string, unknown>, shape: Shape): GRPCRoute | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = checkCommon(object, shape);
  if (spec) {
    checkRuleList(spec.rules, shape)?.forEach((value, i) => {
      const field = `spec.rules[${i}]`;
      const checked = checkRule(value, field, shape);
      if (!checked) return;
      const { rule, list } = checked;
      list?.forEach((m, j) => checkGrpcMatch(m, `${field}.matches[${j}]`, shape));
      checkFilters(rule.filters, `${field}.filters`, GRPC_FILTERS, false, shape);
      checkBackendRefs(rule.backendRefs, `${field}.backendRefs`, GRPC_FILTERS, false, shape);
    });
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(withoutNulls(object) as unknown as GRPCRoute, metadata);
}

/** What every rule has: a mapping, an optional name, and at most MAX_MATCHES matches. */
function checkRule(value: unknown, field: string, shape: Shape): { rule: Record<string, unknown>; list: unknown[] | undefined } | undefined {
  const rule = shape.entry(value, field, 'a rule with matches and backendRefs');
  if (!rule) return undefined;
  shape.string(rule.name, `${field}.name`, SECTION_NAME);
  const list = shape.list(rule.matches, `${field}.matches`, MAX_MATCHES);
  return { rule, list };
}

/** Milliseconds of a Gateway API Duration, or undefined (absent, or an error reported). */
export function durationOf(value: unknown, field: string, shape: Shape): number | undefined {
  const text = shape.string(value, field);
  if (text === undefined) return undefined;
  if (!DURATION.test(text)) {
    shape.sink.error(field, `${quote(text)} is not a duration: write whole numbers with h, m, s or ms, such as 10s, 1m30s or 500ms`);
    return undefined;
  }
  return parseDuration(text);
}

export function parseDuration(text: string): number {
  const unit: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const [, n, u] of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(n) * unit[u!]!;
  return total;
}

function checkCommon(object: Record<string, unknown>, shape: Shape): Record<string, unknown> | undefined {
  const spec = shape.map(object.spec, 'spec');
  if (!spec) {
    if (object.spec === undefined || object.spec === null) shape.sink.error('spec', 'is required: give spec.parentRefs and spec.rules');
    return undefined;
  }
  const parents = shape.list(spec.parentRefs, 'spec.parentRefs', 32);
  parents?.forEach((value, i) => {
    const field = `spec.parentRefs[${i}]`;
    const parent = shape.entry(value, field, 'a parent reference with the name of a Gateway');
    if (!parent) return;
    shape.string(parent.group, `${field}.group`, GROUP);
    shape.string(parent.kind, `${field}.kind`, KIND);
    shape.string(parent.namespace, `${field}.namespace`, DNS1123_LABEL);
    if (shape.required(parent.name, `${field}.name`, 'the name of the Gateway')) shape.string(parent.name, `${field}.name`, OBJECT_NAME);
    shape.string(parent.sectionName, `${field}.sectionName`, SECTION_NAME);
    shape.integer(parent.port, `${field}.port`, 1, 65535, 'a port number');
  });
  const hostnames = shape.list(spec.hostnames, 'spec.hostnames', 16);
  hostnames?.forEach((h, i) => shape.string(h, `spec.hostnames[${i}]`, GATEWAY_HOSTNAME));
  return spec;
}

function checkRuleList(value: unknown, shape: Shape): unknown[] | undefined {
  const rules = shape.list(value, 'spec.rules', MAX_RULES, 'rules');
  const names = new Map<string, number>();
  rules?.forEach((rule, i) => {
    const name = (rule as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = names.get(name);
    if (first !== undefined) shape.sink.error(`spec.rules[${i}].name`, `${quote(name)} is already the name of spec.rules[${first}]; rule names must be unique`);
    else names.set(name, i);
  });
  return rules;
}

/** Checks one HTTPRoute match; returns its path type (PathPrefix when no path is given). */
function checkHttpMatch(value: unknown, field: string, shape: Shape): string | undefined {
  if (value === undefined) return 'PathPrefix';
  const match = shape.entry(value, field, 'a match with a path, headers, queryParams or method');
  if (!match) return undefined;
  let type: string | undefined = 'PathPrefix';
  const path = shape.map(match.path, `${field}.path`);
  if (path) {
    type =
      shape.oneOf(path.type, `${field}.path.type`, ['Exact', 'PathPrefix', 'RegularExpression']) ??
      (path.type === undefined || path.type === null ? 'PathPrefix' : undefined);
    const text = shape.string(path.value, `${field}.path.value`) ?? (path.value === undefined || path.value === null ? '/' : undefined);
    if (text !== undefined && type !== undefined) checkPathValue(text, type, `${field}.path.value`, shape);
  }
  checkNameValues(match.headers, `${field}.headers`, 'header', shape);
  checkNameValues(match.queryParams, `${field}.queryParams`, 'query parameter', shape);
  shape.oneOf(match.method, `${field}.method`, HTTP_METHODS);
  return type;
}

function checkPathValue(text: string, type: string, field: string, shape: Shape): void {
  if (text.length > 1024) shape.sink.error(field, `is ${text.length} characters long; at most 1024 are allowed`);
  if (type === 'RegularExpression') return;
  if (!text.startsWith('/')) shape.sink.error(field, `${quote(text)} must be an absolute path, starting with "/"`);
  else if (/\/\/|\/\.\/|\/\.\.\/|%2f|%2F|#/.test(text) || /\/\.\.?$/.test(text))
    shape.sink.error(field, `${quote(text)} must not contain "//", "/./", "/../", "%2f" or "#", nor end with "/." or "/.."`);
}

function checkGrpcMatch(value: unknown, field: string, shape: Shape): void {
  const match = shape.entry(value, field, 'a match with a method or headers');
  if (!match) return;
  const method = shape.map(match.method, `${field}.method`);
  if (method) {
    const type = shape.oneOf(method.type, `${field}.method.type`, ['Exact', 'RegularExpression']) ?? 'Exact';
    const service = shape.string(method.service, `${field}.method.service`);
    const name = shape.string(method.method, `${field}.method.method`);
    if (service === undefined && name === undefined) shape.sink.error(`${field}.method`, 'must name a service, a method or both');
    for (const [text, at] of [
      [service, `${field}.method.service`],
      [name, `${field}.method.method`],
    ] as const) {
      if (text !== undefined && text.length > 1024) shape.sink.error(at, `is ${text.length} characters long; at most 1024 are allowed`);
    }
    if (type === 'Exact') {
      if (service !== undefined && !/^(?:\.?[a-zA-Z_][a-zA-Z_0-9]*)(\.[a-zA-Z_][a-zA-Z_0-9]*)*$/.test(service))
        shape.sink.error(`${field}.method.service`, `${quote(service)} is not a gRPC service name such as helloworld.Greeter`);
      if (name !== undefined && !/^[A-Za-z_][A-Za-z_0-9]*$/.test(name))
        shape.sink.error(`${field}.method.method`, `${quote(name)} is not a gRPC method name such as SayHello`);
    }
  }
  checkNameValues(match.headers, `${field}.headers`, 'header', shape);
}

function checkNameValues(value: unknown, field: string, what: string, shape: Shape): void {
  const list = shape.list(value, field, 16);
  if (!list) return;
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const at = `${field}[${i}]`;
    const entry = shape.entry(item, at, `a ${what} match with a name and a value`);
    if (!entry) return;
    shape.oneOf(entry.type, `${at}.type`, ['Exact', 'RegularExpression']);
    const name = shape.required(entry.name, `${at}.name`, `the ${what} name`) ? shape.string(entry.name, `${at}.name`) : undefined;
    if (name !== undefined) {
      if (name.length > 256 || !HEADER_NAME.test(name)) shape.sink.error(`${at}.name`, `${quote(name)} is not a valid ${what} name`);
      // The API server refuses the same name twice (a list-map key); names equal but for case are
      // allowed, and only the first of them counts (the spec's rule, applied when the route is planned).
      const first = seen.get(name);
      if (first !== undefined) shape.sink.error(`${at}.name`, `${quote(name)} is already matched by ${field}[${first}]; each name may appear once`);
      else seen.set(name, i);
    }
    if (shape.required(entry.value, `${at}.value`, `the ${what} value to match`)) {
      const text = shape.string(entry.value, `${at}.value`);
      const max = what === 'header' ? 4096 : 1024;
      if (text !== undefined && text.length > max) shape.sink.error(`${at}.value`, `is ${text.length} characters long; at most ${max} are allowed`);
    }
  });
}

function checkFilters(value: unknown, field: string, allowed: readonly string[], onePrefixMatch: boolean, shape: Shape): void {
  const list = shape.list(value, field, 16);
  if (!list) return;
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const at = `${field}[${i}]`;
    const filter = shape.entry(item, at, 'a filter with a type');
    if (!filter) return;
    const type = shape.required(filter.type, `${at}.type`, `one of ${allowed.join(', ')}`) ? shape.oneOf(filter.type, `${at}.type`, allowed) : undefined;
    for (const [name, key] of Object.entries(FILTER_FIELD)) {
      const present = filter[key] !== undefined && filter[key] !== null;
      if (present && name !== type) shape.sink.error(`${at}.${key}`, `must not be set for a filter of type ${quote(filter.type)}`);
      if (!present && name === type) shape.sink.error(`${at}.${key}`, `is required for a filter of type ${name}`);
    }
    if (type === undefined) return;
    const first = seen.get(type);
    if (first !== undefined && ONCE.includes(type)) shape.sink.error(`${at}.type`, `${type} is already ${field}[${first}]; it may appear once`);
    if (first === undefined) seen.set(type, i);
    if (type === 'RequestHeaderModifier' || type === 'ResponseHeaderModifier')
      checkHeaderModifier(filter[FILTER_FIELD[type]!], `${at}.${FILTER_FIELD[type]}`, shape);
    else if (type === 'RequestRedirect') checkRedirect(filter.requestRedirect, `${at}.requestRedirect`, onePrefixMatch, shape);
    else if (type === 'URLRewrite') checkRewrite(filter.urlRewrite, `${at}.urlRewrite`, onePrefixMatch, shape);
    else if (type === 'RequestMirror') checkMirror(filter.requestMirror, `${at}.requestMirror`, shape);
    else if (type === 'ExtensionRef') {
      const ref = shape.map(filter.extensionRef, `${at}.extensionRef`);
      if (ref) for (const k of ['group', 'kind', 'name']) shape.string(ref[k], `${at}.extensionRef.${k}`);
    }
  });
  if (seen.has('RequestRedirect') && seen.has('URLRewrite')) shape.sink.error(field, 'may not hold both RequestRedirect and URLRewrite');
}

function checkHeaderModifier(value: unknown, field: string, shape: Shape): void {
  const modifier = shape.map(value, field);
  if (!modifier) return;
  for (const op of ['set', 'add'] as const) {
    const list = shape.list(modifier[op], `${field}.${op}`, 16);
    const seen = new Set<string>();
    list?.forEach((item, i) => {
      const at = `${field}.${op}[${i}]`;
      const header = shape.entry(item, at, 'a header with a name and a value');
      if (!header) return;
      const name = shape.required(header.name, `${at}.name`, 'the header name') ? shape.string(header.name, `${at}.name`) : undefined;
      if (name !== undefined && (name.length > 256 || !HEADER_NAME.test(name))) shape.sink.error(`${at}.name`, `${quote(name)} is not a valid header name`);
      else if (name !== undefined && seen.has(name.toLowerCase())) shape.sink.error(`${at}.name`, `${quote(name)} appears twice in ${op}`);
      if (name !== undefined) seen.add(name.toLowerCase());
      if (header.value === undefined || header.value === null) shape.sink.error(`${at}.value`, 'is required');
      else {
        const text = shape.string(header.value, `${at}.value`);
        if (text !== undefined && text.length > 4096) shape.sink.error(`${at}.value`, `is ${text.length} characters long; at most 4096 are allowed`);
        if (text !== undefined && /[\r\n\0]/.test(text)) shape.sink.error(`${at}.value`, 'must not contain a line break or NUL');
      }
    });
  }
  const remove = shape.list(modifier.remove, `${field}.remove`, 16);
  remove?.forEach((name, i) => {
    const text = shape.string(name, `${field}.remove[${i}]`);
    if (text !== undefined && (text.length > 256 || !HEADER_NAME.test(text)))
      shape.sink.error(`${field}.remove[${i}]`, `${quote(text)} is not a valid header name`);
  });
}

function checkPathModifier(value: unknown, field: string, onePrefixMatch: boolean, shape: Shape): void {
  const path = shape.map(value, field);
  if (!path) return;
  const type = shape.required(path.type, `${field}.type`, 'ReplaceFullPath or ReplacePrefixMatch')
    ? shape.oneOf(path.type, `${field}.type`, ['ReplaceFullPath', 'ReplacePrefixMatch'])
    : undefined;
  const full = shape.string(path.replaceFullPath, `${field}.replaceFullPath`);
  const prefix = shape.string(path.replacePrefixMatch, `${field}.replacePrefixMatch`);
  if (type === 'ReplaceFullPath' && full === undefined) shape.sink.error(`${field}.replaceFullPath`, 'is required when type is ReplaceFullPath');
  if (type === 'ReplacePrefixMatch' && prefix === undefined) shape.sink.error(`${field}.replacePrefixMatch`, 'is required when type is ReplacePrefixMatch');
  if (type === 'ReplaceFullPath' && prefix !== undefined) shape.sink.error(`${field}.replacePrefixMatch`, 'must not be set when type is ReplaceFullPath');
  if (type === 'ReplacePrefixMatch' && full !== undefined) shape.sink.error(`${field}.replaceFullPath`, 'must not be set when type is ReplacePrefixMatch');
  for (const [text, at] of [
    [full, `${field}.replaceFullPath`],
    [prefix, `${field}.replacePrefixMatch`],
  ] as const) {
    if (text === undefined) continue;
    if (text.length > 1024) shape.sink.error(at, `is ${text.length} characters long; at most 1024 are allowed`);
    if (text !== '' && !text.startsWith('/')) shape.sink.error(at, `${quote(text)} must start with "/"`);
    if (/[\r\n\0?#]/.test(text)) shape.sink.error(at, `${quote(text)} must be a path without query, fragment or line break`);
  }
  if (type === 'ReplacePrefixMatch' && !onePrefixMatch)
    shape.sink.error(`${field}.type`, 'ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix');
}

function checkRedirect(value: unknown, field: string, onePrefixMatch: boolean, shape: Shape): void {
  const redirect = shape.map(value, field);
  if (!redirect) return;
  shape.oneOf(redirect.scheme, `${field}.scheme`, ['http', 'https']);
  shape.string(redirect.hostname, `${field}.hostname`, PRECISE_HOSTNAME);
  shape.integer(redirect.port, `${field}.port`, 1, 65535, 'a port number');
  if (redirect.statusCode !== undefined && redirect.statusCode !== null && ![301, 302, 303, 307, 308].includes(redirect.statusCode as number))
    shape.sink.error(`${field}.statusCode`, `${quote(redirect.statusCode)} is not one of 301, 302, 303, 307, 308`);
  checkPathModifier(redirect.path, `${field}.path`, onePrefixMatch, shape);
}

function checkRewrite(value: unknown, field: string, onePrefixMatch: boolean, shape: Shape): void {
  const rewrite = shape.map(value, field);
  if (!rewrite) return;
  shape.string(rewrite.hostname, `${field}.hostname`, PRECISE_HOSTNAME);
  checkPathModifier(rewrite.path, `${field}.path`, onePrefixMatch, shape);
}

function checkMirror(value: unknown, field: string, shape: Shape): void {
  const mirror = shape.map(value, field);
  if (!mirror) return;
  if (mirror.backendRef === undefined || mirror.backendRef === null)
    shape.sink.error(`${field}.backendRef`, 'is required: the Service that receives the copies');
  else checkBackendRef(mirror.backendRef, `${field}.backendRef`, shape);
  shape.integer(mirror.percent, `${field}.percent`, 0, 100, 'a percentage');
  const fraction = shape.map(mirror.fraction, `${field}.fraction`);
  if (fraction) {
    const numerator = shape.integer(fraction.numerator, `${field}.fraction.numerator`, 0, 2 ** 31 - 1);
    const denominator = shape.integer(fraction.denominator, `${field}.fraction.denominator`, 1, 2 ** 31 - 1) ?? 100;
    if (numerator !== undefined && numerator > denominator) shape.sink.error(`${field}.fraction`, 'numerator must not be greater than denominator');
  }
  if (mirror.percent !== undefined && mirror.percent !== null && fraction) shape.sink.error(field, 'may set percent or fraction, not both');
}

function checkBackendRef(value: unknown, field: string, shape: Shape): void {
  checkObjectReference(value, field, shape);
  const ref = value as Record<string, unknown> | null;
  if (!ref || typeof ref !== 'object') return;
  shape.integer(ref.port, `${field}.port`, 1, 65535, 'a port number');
  const group = typeof ref.group === 'string' ? ref.group : '';
  const kind = typeof ref.kind === 'string' ? ref.kind : 'Service';
  if (group === '' && kind === 'Service' && (ref.port === undefined || ref.port === null))
    shape.sink.error(`${field}.port`, 'is required when the reference is a Service: give the Service port');
}

function checkBackendRefs(value: unknown, field: string, filters: readonly string[], onePrefixMatch: boolean, shape: Shape): void {
  const list = shape.list(value, field, 16);
  if (!list) return;
  list.forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (!shape.entry(item, at, 'a backend reference with a name and a port')) return;
    checkBackendRef(item, at, shape);
    const ref = item as Record<string, unknown>;
    shape.integer(ref.weight, `${at}.weight`, 0, MAX_WEIGHT, 'a weight');
    checkFilters(ref.filters, `${at}.filters`, filters, onePrefixMatch, shape);
  });
}
