// Secret: data is base64 text and stringData plain text, both maps of strings. What a TLS Secret holds
// (a certificate and its key) is judged where it is used (tls.ts); messages never quote the values.

import type { Secret } from '../../objects/kube.js';
import { checkMetadata, entryField, keepIdentity } from './metadata.js';
import { DNS1123_SUBDOMAIN, kindOf, type Shape } from './shape.js';

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

export function checkSecret(object: Record<string, unknown>, shape: Shape): Secret | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  shape.string(object.type, 'type');
  for (const map of ['data', 'stringData'] as const) {
    const entries = shape.map(object[map], map);
    if (!entries) continue;
    for (const [key, value] of Object.entries(entries)) {
      const field = entryField(map, key);
      if (typeof value !== 'string')
        shape.sink.error(field, `must be a string, not ${value === null || typeof value === 'object' ? kindOf(value) : typeof value}`);
      else if (map === 'data' && !BASE64.test(value)) shape.sink.error(field, 'is not base64: data holds base64 text (use stringData for plain text)');
    }
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as Secret, metadata);
}
