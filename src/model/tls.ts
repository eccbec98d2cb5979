// spec.tls → the hosts served on HTTPS and the certificates they need. A Secret that is missing or
// cannot be used is cluster state, like a Service without endpoints: a warning, and the host is left
// off HTTPS, while the rest of the Ingress keeps serving.
// Messages never quote Secret data: a key must not reach a log line.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { DiagnosticSink, ObjectRef } from '../objects/diagnostics.js';
import { HOST } from './ingress.js';
import { TLS_SECRET_TYPE, namespaceOf, type Ingress, type Secret } from '../objects/kube.js';
import type { SecretModel, TlsHostModel } from './types.js';

export type SecretCheck = { ok: true; secret: SecretModel } | { ok: false; reason: string };

/** Reads a `kubernetes.io/tls` Secret; checks the certificate and key parse and belong together. */
export function readTlsSecret(secret: Secret | undefined, namespace: string, name: string): SecretCheck {
  const label = `Secret ${namespace}/${name}`;
  if (!secret) return { ok: false, reason: `${label} does not exist` };
  if (secret.type !== undefined && secret.type !== TLS_SECRET_TYPE) return { ok: false, reason: `${label} has type ${secret.type}, not ${TLS_SECRET_TYPE}` };
  const field = (key: string): string | undefined => {
    const plain = secret.stringData?.[key];
    if (typeof plain === 'string') return plain;
    const encoded = secret.data?.[key];
    return typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
  };
  const certificateChain = field('tls.crt');
  const privateKey = field('tls.key');
  if (!certificateChain) return { ok: false, reason: `${label} has no data["tls.crt"]` };
  if (!privateKey) return { ok: false, reason: `${label} has no data["tls.key"]` };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificateChain);
  } catch {
    return { ok: false, reason: `${label}: data["tls.crt"] is not a PEM certificate` };
  }
  let key;
  try {
    key = createPrivateKey(privateKey);
  } catch {
    return { ok: false, reason: `${label}: data["tls.key"] is not a PEM private key` };
  }
  if (!certificate.checkPrivateKey(key)) return { ok: false, reason: `${label}: data["tls.key"] is not the key of the certificate in data["tls.crt"]` };
  const unsupported = keyEnvoyRefuses(certificate);
  if (unsupported) return { ok: false, reason: `${label}: data["tls.crt"] ${unsupported}` };
  return { ok: true, secret: { name: `${namespace}/${name}`, certificateChain, privateKey } };
}

// Envoy (BoringSSL) loads only these certificate keys; any other would be a rejected SDS update, so it
// is refused here instead. Measured with Envoy 1.40 in test/model/tls.test.ts.
const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;
const SUPPORTED = `Envoy takes RSA keys of ${MIN_RSA_BITS} bits or more, ECDSA keys on P-256, P-384 or P-521, and Ed25519 keys`;

/** Why Envoy would refuse the certificate's key, or undefined when it loads it. */
function keyEnvoyRefuses(certificate: X509Certificate): string | undefined {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return (details.modulusLength ?? 0) >= MIN_RSA_BITS ? undefined : `has an RSA key of ${details.modulusLength} bits; ${SUPPORTED}`;
    case 'ec':
      return SUPPORTED_CURVES.has(details.namedCurve ?? '') ? undefined : `has an ECDSA key on curve ${details.namedCurve}; ${SUPPORTED}`;
    case 'ed25519':
      return undefined;
    default:
      return `has a key of type ${key.asymmetricKeyType}; ${SUPPORTED}`;
  }
}

/**
 * HTTPS hosts of one Ingress. `taken` holds hosts already served by an older Ingress (first one wins);
 * `secrets` collects the certificates to send.
 */
export function tlsHosts(
  ingress: Ingress,
  ref: ObjectRef,
  secretsByName: ReadonlyMap<string, Secret>,
  taken: Map<string, ObjectRef>,
  secrets: Map<string, SecretModel>,
  sink: DiagnosticSink,
): TlsHostModel[] {
  const namespace = namespaceOf(ingress);
  const out: TlsHostModel[] = [];
  const entries = Array.isArray(ingress.spec?.tls) ? ingress.spec.tls : [];
  const ruleHosts = (ingress.spec?.rules ?? []).map((r) => r.host).filter((h): h is string => typeof h === 'string' && h !== '');
  entries.forEach((entry, i) => {
    const field = `spec.tls[${i}]`;
    const hosts = Array.isArray(entry.hosts) && entry.hosts.length > 0 ? entry.hosts : ruleHosts;
    if (!entry.secretName) {
      sink.warning(`${field}.secretName`, 'is missing, and splitplane has no default certificate; these hosts are not served on HTTPS');
      return;
    }
    const check = readTlsSecret(secretsByName.get(`${namespace}/${entry.secretName}`), namespace, entry.secretName);
    if (!check.ok) {
      sink.warning(`${field}.secretName`, `${check.reason}; ${hosts.join(', ') || 'its hosts'} are not served on HTTPS until it is fixed`);
      return;
    }
    hosts.forEach((host, j) => {
      if (typeof host !== 'string' || !HOST.test(host)) {
        sink.warning(`${field}.hosts[${j}]`, `${JSON.stringify(host)} is not a valid host; it is not served on HTTPS`);
        return;
      }
      const owner = taken.get(host);
      if (owner) {
        if (owner.namespace !== ref.namespace || owner.name !== ref.name)
          sink.warning(
            `${field}.hosts[${j}]`,
            `${host} already gets its certificate from Ingress ${owner.namespace}/${owner.name}, which is older; this entry is ignored`,
          );
        return;
      }
      taken.set(host, ref);
      secrets.set(check.secret.name, check.secret);
      out.push({ host, secret: check.secret.name });
    });
  });
  return out;
}
