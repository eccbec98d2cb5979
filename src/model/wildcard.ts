// Kubernetes says `*.foo.com` matches exactly one label (`bar.foo.com`, not `baz.bar.foo.com`), while
// Envoy's `*.foo.com` domain matches any number ("Envoy resources" in docs/design.md). The domain already guarantees the suffix, so an
// authority with exactly as many dots is enough. The decision, including Envoy's regex size limit, is
// made here; resources/ only wraps the regex in a header matcher.

import { ENVOY_MAX_PROGRAM_SIZE, estimateProgramSize } from './regex.js';

/**
 * The RE2 regex the `:authority` of a request to a one-label wildcard host must fully match; undefined
 * for other hosts, and for hosts so deep that the regex would be too big for Envoy (they keep Envoy's
 * meaning of the wildcard).
 */
export function oneLabelAuthorityRegex(host: string): string | undefined {
  if (!host.startsWith('*.')) return undefined;
  const dots = host.split('.').length - 1;
  const regex = `[^.]+(?:\\.[^.]+){${dots}}`;
  return estimateProgramSize(regex) > ENVOY_MAX_PROGRAM_SIZE ? undefined : regex;
}
