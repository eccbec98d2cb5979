// metadata: the name in the format its kind requires, a namespace, and annotations and labels that are
// maps of strings. YAML authors often write `weight: 50` unquoted; the API server refuses that, but the
// intent is clear, so the text is kept and a warning names the field. A list or mapping where a string
// belongs is kept as its JSON text, so a weight written `[50]` is judged (and refused) by its dialect
// instead of being quietly read as 50.

import type { ObjectMeta } from '../../objects/kube.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, LABEL_VALUE, kindOf, quote, type NameFormat, type Shape } from './shape.js';

/** The API server's limit on all annotations of an object together (keys and values). */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Checks metadata; returns it normalised (string annotations and labels), or undefined on error. */
export function checkMetadata(value: unknown, shape: Shape, nameFormat: NameFormat): ObjectMeta | undefined {
  const errorsBefore = shape.sink.items.length;
  const metadata = shape.map(value, 'metadata');
  if (!metadata) {
    if (value === undefined || value === null) shape.sink.error('metadata', 'is required: give at least metadata.name');
    return undefined;
  }
  const name = shape.string(metadata.name, 'metadata.name', nameFormat);
  if (metadata.name === undefined || metadata.name === null || metadata.name === '') shape.sink.error('metadata.name', 'is required');
  shape.string(metadata.namespace, 'metadata.namespace', DNS1123_LABEL);
  const annotations = stringMap(metadata.annotations, 'metadata.annotations', shape, () => true);
  if (annotations) {
    const size = Object.entries(annotations).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    if (size > ANNOTATIONS_SIZE_LIMIT) shape.sink.error('metadata.annotations', `add up to ${size} bytes; Kubernetes allows ${ANNOTATIONS_SIZE_LIMIT}`);
  }
  const labels = stringMap(metadata.labels, 'metadata.labels', shape, (text, field) => shape.fits(text, field, LABEL_VALUE));
  let creationTimestamp = metadata.creationTimestamp;
  // An unquoted timestamp is a YAML timestamp; the API would hold it as RFC 3339 text.
  if (creationTimestamp instanceof Date) creationTimestamp = Number.isNaN(creationTimestamp.getTime()) ? undefined : creationTimestamp.toISOString();
  shape.string(creationTimestamp, 'metadata.creationTimestamp');
  if (shape.sink.items.slice(errorsBefore).some((d) => d.severity === 'error') || name === undefined) return undefined;
  // Unchanged metadata is returned as it is, so an object that needed no normalising keeps its identity.
  const same = (a: unknown, b: unknown) => a === b || (a === undefined && b === null) || JSON.stringify(a) === JSON.stringify(b);
  if (same(metadata.annotations, annotations) && same(metadata.labels, labels) && metadata.creationTimestamp === creationTimestamp)
    return metadata as unknown as ObjectMeta;
  const out: ObjectMeta = { ...(metadata as unknown as ObjectMeta), name };
  if (annotations) out.annotations = annotations;
  else delete out.annotations;
  if (labels) out.labels = labels;
  else delete out.labels;
  if (typeof creationTimestamp === 'string') out.creationTimestamp = creationTimestamp;
  else delete out.creationTimestamp;
  return out;
}

/** The object itself when its metadata needed no normalising, else a copy with the normalised metadata. */
export function keepIdentity<T extends { metadata: ObjectMeta }>(object: T, metadata: ObjectMeta): T {
  return object.metadata === metadata ? object : { ...object, metadata };
}

/** The field path of a map entry; a key too long to print whole is shortened. */
export function entryField(map: string, key: string): string {
  const shown = key.length > 100 ? `${key.slice(0, 100)}…` : key;
  return `${map}[${JSON.stringify(shown)}]`;
}

function stringMap(value: unknown, field: string, shape: Shape, checkValue: (text: string, field: string) => boolean): Record<string, string> | undefined {
  const map = shape.map(value, field);
  if (!map) return undefined;
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(map)) {
    const at = entryField(field, key);
    if (!isQualifiedName(key)) {
      shape.sink.error(
        at,
        `${quote(key)} is not a valid key: a name of at most 63 letters, digits, '-', '_' and '.', optionally after a DNS subdomain prefix and '/'`,
      );
      continue;
    }
    let text: string;
    if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'number' || typeof raw === 'boolean') {
      text = String(raw);
      shape.sink.warning(
        at,
        `is ${kindOf(raw)} written without quotes; Kubernetes requires a string here (kubectl refuses this manifest): write ${JSON.stringify(text)}`,
      );
    } else if (raw === null || raw === undefined) {
      text = '';
      shape.sink.warning(at, `has no value; Kubernetes requires a string here: write "" if empty is meant`);
    } else {
      text = raw instanceof Date ? raw.toISOString() : JSON.stringify(raw);
      shape.sink.warning(
        at,
        `is ${kindOf(raw)}, not a string; Kubernetes requires a string here (kubectl refuses this manifest), so it is read as the text ${quote(text)}`,
      );
    }
    if (checkValue(text, at)) out[key] = text;
  }
  return out;
}

function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) return false;
  if (slash === -1) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= DNS1123_SUBDOMAIN.max && DNS1123_SUBDOMAIN.pattern.test(prefix);
}
