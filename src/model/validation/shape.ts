// The shape checks the Kubernetes API server makes before it stores an object: types, nulls, ranges and
// name formats. Manifests in a folder never went through an API server, and a careless edit can put a
// string where a list belongs; every such problem becomes a diagnostic naming the field, so nothing
// downstream ever meets a value of the wrong type.

import type { DiagnosticSink } from '../../objects/diagnostics.js';

/** A name format from k8s.io/apimachinery/pkg/util/validation, with its length limit. */
export interface NameFormat {
  pattern: RegExp;
  max: number;
  /** What the format is, for messages: "a DNS-1123 label (lower-case letters, digits and '-')". */
  describe: string;
}

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

export const DNS1123_LABEL: NameFormat = {
  pattern: new RegExp(`^${LABEL}$`),
  max: 63,
  describe: "a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)",
};

export const DNS1123_SUBDOMAIN: NameFormat = {
  pattern: new RegExp(`^${LABEL}(\\.${LABEL})*$`),
  max: 253,
  describe: "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', such as my-app.example)",
};

export const DNS1035_LABEL: NameFormat = {
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  max: 63,
  describe: "a DNS-1035 label (lower-case letters, digits and '-', starting with a letter)",
};

/** A Service port name, as targetPort names it (IANA_SVC_NAME). */
export const IANA_SVC_NAME: NameFormat = {
  pattern: /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  max: 15,
  describe: "a port name (lower-case letters, digits and '-', with at least one letter)",
};

/** A label value: empty, or alphanumerics with '-', '_' and '.' inside. */
export const LABEL_VALUE: NameFormat = {
  pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
  max: 63,
  describe: "a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
};

/** A value as it may appear in a message: short, quoted, never a 100 KB string or a key. */
export function quote(value: unknown, max = 64): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** "a string", "a list", "null": what a value is, for "must be a list, not …". */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a timestamp';
  switch (typeof value) {
    case 'string':
      return `a string (${quote(value)})`;
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Typed reads of an untyped object; each wrong value is an error in the sink and reads as undefined. */
export class Shape {
  constructor(readonly sink: DiagnosticSink) {}

  /** A mapping; absent (undefined or null) reads as undefined. */
  map(value: unknown, field: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (isMapping(value)) return value;
    this.sink.error(field, `must be a mapping of fields, not ${kindOf(value)}`);
    return undefined;
  }

  /** A list; absent reads as undefined. Longer than `max` (the API's limit) is an error, and the list is still read. */
  list(value: unknown, field: string, max?: number, noun = 'entries'): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) {
      if (max !== undefined && value.length > max) this.sink.error(field, `has ${value.length} ${noun}; at most ${max} are allowed`);
      return value;
    }
    this.sink.error(field, `must be a list, not ${kindOf(value)}`);
    return undefined;
  }

  /** An entry of a list, which must be a mapping: `- ` with nothing after it is an empty (null) entry. */
  entry(value: unknown, field: string, what: string): Record<string, unknown> | undefined {
    if (isMapping(value)) return value;
    if (value === null || value === undefined) this.sink.error(field, `is an empty list entry: write ${what}, or remove the "-"`);
    else this.sink.error(field, `must be ${what}, not ${kindOf(value)}`);
    return undefined;
  }

  string(value: unknown, field: string, format?: NameFormat): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.sink.error(field, `must be a string, not ${kindOf(value)}`);
      return undefined;
    }
    if (format && !this.fits(value, field, format)) return undefined;
    return value;
  }

  required(value: unknown, field: string, what: string): boolean {
    if (value !== undefined && value !== null && value !== '') return true;
    this.sink.error(field, `is required: ${what}`);
    return false;
  }

  /** A string in a name format, with its length limit. */
  fits(value: string, field: string, format: NameFormat): boolean {
    if (value.length > format.max) {
      this.sink.error(field, `${quote(value)} is longer than ${format.max} characters; it must be ${format.describe}`);
      return false;
    }
    if (!format.pattern.test(value)) {
      this.sink.error(field, `${quote(value)} is not ${format.describe}`);
      return false;
    }
    return true;
  }

  integer(value: unknown, field: string, min: number, max: number, what = 'a whole number'): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.sink.error(field, `must be ${what} from ${min} to ${max}, not ${kindOf(value)}`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, field: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.sink.error(field, `must be true or false, not ${kindOf(value)}`);
      return undefined;
    }
    return value;
  }

  oneOf(value: unknown, field: string, allowed: readonly string[]): string | undefined {
    const text = this.string(value, field);
    if (text === undefined) return undefined;
    if (allowed.includes(text)) return text;
    this.sink.error(field, `${quote(text)} is not one of ${allowed.join(', ')}`);
    return undefined;
  }
}
