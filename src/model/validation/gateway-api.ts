// GatewayClass, Gateway, ReferenceGrant and Namespace: what the Gateway API CRD schemas (and their CEL
// rules) make the API server refuse, checked the same way for manifests in a folder. What the fields mean
// (which listeners conflict, which references resolve) is judged by the Gateway build and shown as
// conditions; what is here would never have been stored at all.

import type { Gateway, GatewayClass, Namespace, ReferenceGrant } from '../../objects/gateway-api.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, quote, type NameFormat, type Shape } from './shape.js';

/** Gateway API `Hostname`: a DNS name, optionally led by a `*.` wildcard label; no IP, no port. */
export const GATEWAY_HOSTNAME: NameFormat = {
  pattern: /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  max: 253,
  describe: 'a lower-case DNS name such as app.example.com, optionally starting with "*." (no IP address, no port)',
};

/** `PreciseHostname`: a hostname without wildcard (redirects and rewrites). */
export const PRECISE_HOSTNAME: NameFormat = {
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  max: 253,
  describe: 'a lower-case DNS name without wildcard, such as app.example.com',
};

/** `SectionName`: a listener's or a rule's name. */
export const SECTION_NAME: NameFormat = {
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  max: 253,
  describe: "a section name (lower-case letters, digits and '-')",
};

/** `ObjectName`, as Gateway API references write names. */
export const OBJECT_NAME: NameFormat = { pattern: /^[^/\s]+$/, max: 253, describe: 'an object name (no "/" and no spaces)' };

/** `Group`: empty (the core group) or a DNS subdomain. */
export const GROUP: NameFormat = {
  pattern: /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  max: 253,
  describe: 'an API group (empty for the core group, else a DNS subdomain such as gateway.networking.k8s.io)',
};

/** `Kind`: a CamelCase kind name. */
export const KIND: NameFormat = { pattern: /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, max: 63, describe: 'a kind such as Service' };

const CONTROLLER_NAME: NameFormat = {
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/,
  max: 253,
  describe: 'a domain-prefixed path such as splitplane.io/gateway-controller',
};

const PROTOCOL: NameFormat = {
  pattern: /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/,
  max: 255,
  describe: 'a protocol such as HTTP, HTTPS or example.com/custom',
};

const MAX_LISTENERS = 64;

/**
 * The object without its null fields: the API server prunes a null it was given for a field that is not
 * nullable, as these CRDs' fields are, so `hostname: null` reads as no hostname. The same object when it
 * has none, so an unchanged object keeps its identity.
 */
export function withoutNulls<T>(value: T): T {
  if (!hasNull(value)) return value;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = strip(x);
      return out;
    }
    return v;
  };
  return strip(value) as T;
}

function hasNull(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasNull);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.values(v).some((x) => x === null || hasNull(x));
  return false;
}

export function checkGatewayClass(object: Record<string, unknown>, shape: Shape): GatewayClass | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = shape.map(object.spec, 'spec');
  if (!spec) shape.sink.error('spec', 'is required: give spec.controllerName');
  else if (shape.required(spec.controllerName, 'spec.controllerName', 'the controller that serves this class, e.g. splitplane.io/gateway-controller'))
    shape.string(spec.controllerName, 'spec.controllerName', CONTROLLER_NAME);
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(withoutNulls(object) as unknown as GatewayClass, metadata);
}

export function checkGateway(object: Record<string, unknown>, shape: Shape): Gateway | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = shape.map(object.spec, 'spec');
  if (!spec) shape.sink.error('spec', 'is required: give spec.gatewayClassName and spec.listeners');
  else {
    if (shape.required(spec.gatewayClassName, 'spec.gatewayClassName', 'the GatewayClass of this Gateway'))
      shape.string(spec.gatewayClassName, 'spec.gatewayClassName', OBJECT_NAME);
    const listeners = shape.list(spec.listeners, 'spec.listeners');
    if (!listeners || listeners.length === 0) shape.sink.error('spec.listeners', 'is required: a Gateway has from 1 to 64 listeners');
    else if (listeners.length > MAX_LISTENERS) shape.sink.error('spec.listeners', `has ${listeners.length} listeners; at most ${MAX_LISTENERS} are allowed`);
    else checkListeners(listeners, shape);
    shape.list(spec.addresses, 'spec.addresses')?.forEach((value, i) => {
      const address = shape.entry(value, `spec.addresses[${i}]`, 'an address with a type and a value');
      if (!address) return;
      shape.string(address.type, `spec.addresses[${i}].type`);
      shape.string(address.value, `spec.addresses[${i}].value`);
    });
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(withoutNulls(object) as unknown as Gateway, metadata);
}

function checkListeners(listeners: readonly unknown[], shape: Shape): void {
  const names = new Map<string, number>();
  const combos = new Map<string, number>();
  listeners.forEach((value, i) => {
    const field = `spec.listeners[${i}]`;
    const listener = shape.entry(value, field, 'a listener with a name, port and protocol');
    if (!listener) return;
    const name = shape.required(listener.name, `${field}.name`, 'a name unique in this Gateway')
      ? shape.string(listener.name, `${field}.name`, SECTION_NAME)
      : undefined;
    const port = shape.required(listener.port, `${field}.port`, 'the port to listen on')
      ? shape.integer(listener.port, `${field}.port`, 1, 65535, 'a port number')
      : undefined;
    const protocol = shape.required(listener.protocol, `${field}.protocol`, 'HTTP, HTTPS or another protocol')
      ? shape.string(listener.protocol, `${field}.protocol`, PROTOCOL)
      : undefined;
    const hostname = shape.string(listener.hostname, `${field}.hostname`, GATEWAY_HOSTNAME);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        shape.sink.error(`${field}.name`, `${quote(name)} is already the name of spec.listeners[${first}]; listener names must be unique`);
      else names.set(name, i);
    }
    if (port !== undefined && protocol !== undefined) {
      const combo = `${port}\u0000${protocol}\u0000${hostname ?? ''}`;
      const first = combos.get(combo);
      if (first !== undefined)
        shape.sink.error(field, `has the same port, protocol and hostname as spec.listeners[${first}]; each combination must be unique in a Gateway`);
      else combos.set(combo, i);
    }
    if (protocol !== undefined && ['TCP', 'UDP'].includes(protocol) && hostname !== undefined)
      shape.sink.error(`${field}.hostname`, `must not be set for protocol ${protocol}`);
    const tls = shape.map(listener.tls, `${field}.tls`);
    if (tls && protocol !== undefined && ['HTTP', 'TCP', 'UDP'].includes(protocol))
      shape.sink.error(`${field}.tls`, `must not be set for protocol ${protocol}`);
    if (protocol === 'HTTPS' && !tls) shape.sink.error(`${field}.tls`, 'is required for protocol HTTPS: give tls.certificateRefs');
    if (tls) {
      const mode = shape.oneOf(tls.mode, `${field}.tls.mode`, ['Terminate', 'Passthrough']) ?? 'Terminate';
      const refs = shape.list(tls.certificateRefs, `${field}.tls.certificateRefs`, 64);
      refs?.forEach((ref, j) => checkObjectReference(ref, `${field}.tls.certificateRefs[${j}]`, shape));
      if (mode === 'Terminate' && (!refs || refs.length === 0) && tls.options === undefined)
        shape.sink.error(`${field}.tls.certificateRefs`, 'is required when tls.mode is Terminate: name the Secret holding the certificate');
    }
    const allowed = shape.map(listener.allowedRoutes, `${field}.allowedRoutes`);
    if (allowed) {
      const namespaces = shape.map(allowed.namespaces, `${field}.allowedRoutes.namespaces`);
      if (namespaces) {
        shape.oneOf(namespaces.from, `${field}.allowedRoutes.namespaces.from`, ['All', 'Same', 'Selector']);
        if (namespaces.selector !== undefined && namespaces.selector !== null)
          checkSelector(namespaces.selector, `${field}.allowedRoutes.namespaces.selector`, shape);
      }
      const kinds = shape.list(allowed.kinds, `${field}.allowedRoutes.kinds`, 8);
      kinds?.forEach((value, j) => {
        const kind = shape.entry(value, `${field}.allowedRoutes.kinds[${j}]`, 'a route kind such as {kind: HTTPRoute}');
        if (!kind) return;
        shape.string(kind.group, `${field}.allowedRoutes.kinds[${j}].group`, GROUP);
        if (shape.required(kind.kind, `${field}.allowedRoutes.kinds[${j}].kind`, 'a route kind such as HTTPRoute'))
          shape.string(kind.kind, `${field}.allowedRoutes.kinds[${j}].kind`, KIND);
      });
    }
  });
}

/** A reference with group, kind, name and namespace, as certificateRefs and backendRefs write it. */
export function checkObjectReference(value: unknown, field: string, shape: Shape): void {
  const ref = shape.entry(value, field, 'a reference with a name');
  if (!ref) return;
  shape.string(ref.group, `${field}.group`, GROUP);
  shape.string(ref.kind, `${field}.kind`, KIND);
  if (shape.required(ref.name, `${field}.name`, 'the name of the object referred to')) shape.string(ref.name, `${field}.name`, OBJECT_NAME);
  shape.string(ref.namespace, `${field}.namespace`, DNS1123_LABEL);
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function checkSelector(value: unknown, field: string, shape: Shape): void {
  const selector = shape.map(value, field);
  if (!selector) return;
  const labels = shape.map(selector.matchLabels, `${field}.matchLabels`);
  for (const [key, v] of Object.entries(labels ?? {})) shape.string(v, `${field}.matchLabels[${JSON.stringify(key)}]`);
  shape.list(selector.matchExpressions, `${field}.matchExpressions`)?.forEach((item, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const expression = shape.entry(item, at, 'an expression with key, operator and values');
    if (!expression) return;
    if (shape.required(expression.key, `${at}.key`, 'the label key')) shape.string(expression.key, `${at}.key`);
    const operator = shape.oneOf(expression.operator, `${at}.operator`, SELECTOR_OPERATORS);
    const values = shape.list(expression.values, `${at}.values`);
    values?.forEach((v, j) => shape.string(v, `${at}.values[${j}]`));
    if ((operator === 'In' || operator === 'NotIn') && (!values || values.length === 0))
      shape.sink.error(`${at}.values`, `must not be empty for operator ${operator}`);
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values && values.length > 0)
      shape.sink.error(`${at}.values`, `must be empty for operator ${operator}`);
  });
}

export function checkReferenceGrant(object: Record<string, unknown>, shape: Shape): ReferenceGrant | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = shape.map(object.spec, 'spec');
  if (!spec) shape.sink.error('spec', 'is required: give spec.from and spec.to');
  else {
    for (const side of ['from', 'to'] as const) {
      const list = shape.list(spec[side], `spec.${side}`);
      if (!list || list.length === 0 || list.length > 16) {
        shape.sink.error(`spec.${side}`, 'must list from 1 to 16 entries');
        continue;
      }
      list.forEach((value, i) => {
        const at = `spec.${side}[${i}]`;
        const entry = shape.entry(value, at, side === 'from' ? 'an entry with group, kind and namespace' : 'an entry with group and kind');
        if (!entry) return;
        if (entry.group === undefined || entry.group === null) shape.sink.error(`${at}.group`, 'is required ("" for the core group)');
        else shape.string(entry.group, `${at}.group`, GROUP);
        if (shape.required(entry.kind, `${at}.kind`, 'a kind such as HTTPRoute or Service')) shape.string(entry.kind, `${at}.kind`, KIND);
        if (side === 'from') {
          if (shape.required(entry.namespace, `${at}.namespace`, 'the namespace the references come from'))
            shape.string(entry.namespace, `${at}.namespace`, DNS1123_LABEL);
        } else shape.string(entry.name, `${at}.name`, OBJECT_NAME);
      });
    }
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(withoutNulls(object) as unknown as ReferenceGrant, metadata);
}

export function checkNamespace(object: Record<string, unknown>, shape: Shape): Namespace | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_LABEL);
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as Namespace, metadata);
}
