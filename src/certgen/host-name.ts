// What `certgen --host` accepts for the server certificate's names: a DNS name (RFC 1123 labels of 1-63
// letters, digits and hyphens, not starting or ending with a hyphen, 253 characters at most; a
// leading `*.` for a wildcard) or an IP address. Anything else (empty, spaces, control characters)
// would go into the certificate as a name no client ever matches, or one that confuses those that read it.

import { isIP } from 'node:net';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Undefined when `name` is a DNS name or an IP address; else why not. */
export function badHostName(name: string): string | undefined {
  if (isIP(name) !== 0) return undefined;
  if (name.length === 0) return 'it is empty';
  if (name.length > 253) return `it is ${name.length} characters long; a DNS name has at most 253`;
  const labels = (name.startsWith('*.') ? name.slice(2) : name).replace(/\.$/, '').split('.');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined)
    return bad === ''
      ? 'it has an empty label (two dots in a row, or a dot at the start)'
      : `its label ${JSON.stringify(bad.slice(0, 70))} is not 1-63 letters, digits and hyphens (not starting or ending with a hyphen)`;
  return undefined;
}
