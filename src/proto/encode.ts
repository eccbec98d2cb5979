// Encoding a resource body with protobufjs, strictly: protobufjs drops unknown fields without a word,
// which would turn a typo in our translation into a setting Envoy silently never sees. A field that
// does not exist in the message type is a bug of ours, so it throws.

import protobuf from 'protobufjs';
import { envoyRoot } from './registry.js';

const ANY = '.google.protobuf.Any';

export function encodeMessage(type: protobuf.Type, body: Record<string, unknown>): Uint8Array {
  checkFields(type, body, () => type.name);
  return type.encode(type.fromObject(body)).finish();
}

/** Any { type_url = 1; value = 2 } written by hand around bytes that are already encoded. */
export function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
}

let anyType: protobuf.Type | undefined;

// Walks every field of a body against its message type. The path of a field is only spelled out when
// something is wrong: a route configuration has tens of thousands of fields, checked on each change.
function checkFields(type: protobuf.Type, body: Record<string, unknown>, where: () => string): void {
  anyType ??= envoyRoot().lookupType(ANY.slice(1));
  if (type === anyType) {
    const typeUrl = body['@type'];
    if (typeof typeUrl !== 'string') throw new Error(`${where()}: Any without @type`);
    const inner = envoyRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    const { '@type': _ignored, ...rest } = body;
    checkFields(inner, rest, () => `${where()}<${inner.name}>`);
    return;
  }
  for (const key in body) {
    const value = body[key];
    const field = type.fields[key];
    if (!field) throw new Error(`${where()}: ${type.fullName} has no field ${JSON.stringify(key)}`);
    if (!field.resolvedType) field.resolve();
    if (!(field.resolvedType instanceof protobuf.Type) || value === null || value === undefined) continue;
    const nested = field.resolvedType;
    const check = (v: unknown, at: () => string) => {
      if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) checkFields(nested, v as Record<string, unknown>, at);
    };
    if (field.repeated && Array.isArray(value)) value.forEach((v, i) => check(v, () => `${where()}.${key}[${i}]`));
    else if (field.map && typeof value === 'object') for (const [k, v] of Object.entries(value)) check(v, () => `${where()}.${key}[${k}]`);
    else check(value, () => `${where()}.${key}`);
  }
}
