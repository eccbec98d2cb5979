// Gateways of our classes → the listeners Envoy gets, each with its conditions. Every Gateway of our
// classes shares the one Envoy fleet, so listeners of all of them are laid out together: older Gateways
// first (creation time, then namespace/name), then in listener order. A listener that wants a port
// already used with another protocol, or the same port and hostname as an earlier listener, is
// `Conflicted` and not programmed, so Envoy never sees two listeners on one address (that would be a
// NACK). The Ingress listeners come before every Gateway: an HTTP Gateway listener on the Ingress HTTP
// port shares its routes; any other use of an Ingress port is a conflict.

import type { ObjectRef } from '../objects/diagnostics.js';
import { GATEWAY_GROUP, type Gateway, type GatewayListener, type RouteGroupKind } from '../objects/gateway-api.js';
import { namespaceOf, type Secret } from '../objects/kube.js';
import { readTlsSecret } from '../model/tls.js';
import type { SecretModel } from '../model/types.js';
import { REASON, condition, type StatusCondition } from './conditions.js';
import type { Grants } from './grants.js';

export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'] as const;
const SUPPORTED_PROTOCOLS = new Set(['HTTP', 'HTTPS']);

/** A listener of one of our Gateways, as routes attach to it. */
export interface ListenerSlot {
  gateway: Gateway;
  gatewayRef: ObjectRef;
  listener: GatewayListener;
  index: number;
  /**
   * The port Envoy binds for it: 80 is the Ingress HTTP port (`--http-port`) and 443 the Ingress HTTPS
   * port (`--https-port`), as the node's ports 80 and 443 reach them (deploy/envoy.yaml); any other as written.
   */
  port: number;
  /** Accepted and not conflicted: routes may attach and Envoy gets it. */
  usable: boolean;
  /** Has at least one usable certificate (HTTPS), or needs none. */
  programmed: boolean;
  supportedKinds: RouteGroupKind[];
  conditions: StatusCondition[];
  /** SDS names of the certificates (HTTPS). */
  secrets: string[];
  attachedRoutes: number;
  /** Problems for diagnostics: field in the Gateway and message. */
  problems: Array<{ field: string; message: string; severity: 'error' | 'warning' }>;
}

export interface IngressPorts {
  http?: number;
  https?: number;
  /** The SNI hosts the Ingresses serve on the HTTPS port: a Gateway HTTPS listener there may not take them. */
  httpsHosts?: readonly string[];
}

export interface ListenerContext {
  ingressPorts: IngressPorts;
  grants: Grants;
  secrets: ReadonlyMap<string, Secret>;
  /** Certificates to send, by SDS name: a usable certificateRef adds its own. */
  tlsSecrets: Map<string, SecretModel>;
}

/** The listeners of every Gateway, in the order conflicts are decided; `gateways` must be oldest first. */
export function layOutListeners(gateways: readonly Gateway[], context: ListenerContext): ListenerSlot[] {
  const slots: ListenerSlot[] = [];
  // What each port is used for so far: its protocol, the hostnames on it and who holds them.
  const ports = new Map<number, { protocol: string; owner: string; hostnames: Map<string, string> }>();
  if (context.ingressPorts.http !== undefined)
    ports.set(context.ingressPorts.http, { protocol: 'HTTP', owner: 'the Ingress HTTP listener', hostnames: new Map() });
  // The Ingress HTTPS port takes Gateway HTTPS listeners as more filter chains, on hostnames of their own.
  if (context.ingressPorts.https !== undefined)
    ports.set(context.ingressPorts.https, {
      protocol: 'HTTPS',
      owner: 'the Ingress HTTPS listener',
      hostnames: new Map((context.ingressPorts.httpsHosts ?? []).map((h) => [h, 'an Ingress (spec.tls)'])),
    });
  for (const gateway of gateways) {
    const gatewayRef: ObjectRef = { kind: 'Gateway', namespace: namespaceOf(gateway), name: gateway.metadata.name };
    gateway.spec.listeners.forEach((listener, index) => {
      const slot = listenerSlot(gateway, gatewayRef, listener, index, context);
      slots.push(slot);
      if (!slot.usable) return;
      const field = `spec.listeners[${index}]`;
      const self = `Gateway ${gatewayRef.namespace}/${gatewayRef.name} listener ${listener.name}`;
      const hostname = listener.hostname ?? '';
      const used = ports.get(slot.port);
      let conflict: { reason: string; message: string } | undefined;
      if (used && used.protocol !== listener.protocol)
        conflict = { reason: REASON.ProtocolConflict, message: `port ${portLabel(slot)} is already used for ${used.protocol} by ${used.owner}` };
      else if (used?.hostnames.has(hostname))
        conflict = {
          reason: REASON.HostnameConflict,
          message: `port ${portLabel(slot)} already serves ${hostname === '' ? 'every hostname' : hostname} for ${used.hostnames.get(hostname)}`,
        };
      if (conflict) {
        slot.usable = false;
        slot.programmed = false;
        slot.conditions = [
          condition('Accepted', false, 'PortUnavailable', conflict.message),
          condition('Conflicted', true, conflict.reason, conflict.message),
          condition('Programmed', false, REASON.Invalid, `not programmed: ${conflict.message}`),
          ...slot.conditions.filter((c) => c.type === 'ResolvedRefs'),
        ];
        slot.problems.push({ field, severity: 'error', message: `${conflict.message}, so this listener is not served; use another port or hostname` });
        return;
      }
      if (used) used.hostnames.set(hostname, self);
      else ports.set(slot.port, { protocol: listener.protocol, owner: self, hostnames: new Map([[hostname, self]]) });
    });
  }
  return slots;
}

/** The port Envoy binds for a listener port: 80 and 443 are the Ingress ports, when they are known. */
export function envoyPort(port: number, ingress: IngressPorts): number {
  if (port === 80 && ingress.http !== undefined) return ingress.http;
  if (port === 443 && ingress.https !== undefined) return ingress.https;
  return port;
}

function portLabel(slot: ListenerSlot): string {
  return slot.port === slot.listener.port ? String(slot.port) : `${slot.listener.port} (Envoy's ${slot.port})`;
}

function listenerSlot(gateway: Gateway, gatewayRef: ObjectRef, listener: GatewayListener, index: number, context: ListenerContext): ListenerSlot {
  const field = `spec.listeners[${index}]`;
  const slot: ListenerSlot = {
    gateway,
    gatewayRef,
    listener,
    index,
    port: envoyPort(listener.port, context.ingressPorts),
    usable: true,
    programmed: true,
    supportedKinds: [],
    conditions: [],
    secrets: [],
    attachedRoutes: 0,
    problems: [],
  };
  if (!SUPPORTED_PROTOCOLS.has(listener.protocol)) {
    const message = `protocol ${listener.protocol} is not supported; splitplane serves HTTP and HTTPS listeners`;
    slot.usable = false;
    slot.programmed = false;
    slot.conditions = [
      condition('Accepted', false, REASON.UnsupportedProtocol, message),
      condition('Programmed', false, REASON.Invalid, message),
      condition('ResolvedRefs', true, REASON.ResolvedRefs, 'no references to resolve'),
      condition('Conflicted', false, REASON.NoConflicts, 'no conflicts'),
    ];
    slot.problems.push({ field: `${field}.protocol`, severity: 'error', message: `${message}; this listener is not served` });
    return slot;
  }
  let resolved = true;
  let resolvedReason: string = REASON.ResolvedRefs;
  let resolvedMessage = 'every reference resolves';
  // Route kinds: the ones named that we serve; any other makes ResolvedRefs false (InvalidRouteKinds).
  const asked = listener.allowedRoutes?.kinds;
  if (asked === undefined) slot.supportedKinds = ROUTE_KINDS.map((kind) => ({ group: GATEWAY_GROUP, kind }));
  else {
    asked.forEach((k, j) => {
      const group = k.group ?? GATEWAY_GROUP;
      if (group === GATEWAY_GROUP && (ROUTE_KINDS as readonly string[]).includes(k.kind)) {
        if (!slot.supportedKinds.some((s) => s.kind === k.kind)) slot.supportedKinds.push({ group, kind: k.kind });
      } else {
        resolved = false;
        resolvedReason = REASON.InvalidRouteKinds;
        resolvedMessage = `route kind ${k.kind}${group === GATEWAY_GROUP ? '' : ` of group ${JSON.stringify(group)}`} is not supported on an ${listener.protocol} listener; supported: HTTPRoute, GRPCRoute`;
        slot.problems.push({ field: `${field}.allowedRoutes.kinds[${j}]`, severity: 'warning', message: resolvedMessage });
      }
    });
  }
  if (listener.protocol === 'HTTPS') {
    if ((listener.tls?.mode ?? 'Terminate') !== 'Terminate') {
      const message = 'tls.mode Passthrough needs protocol TLS and a TLSRoute, which splitplane does not serve; HTTPS listeners terminate TLS';
      slot.usable = false;
      slot.programmed = false;
      slot.conditions = [
        condition('Accepted', false, REASON.UnsupportedValue, message),
        condition('Programmed', false, REASON.Invalid, message),
        condition('ResolvedRefs', true, REASON.ResolvedRefs, 'no references to resolve'),
        condition('Conflicted', false, REASON.NoConflicts, 'no conflicts'),
      ];
      slot.problems.push({ field: `${field}.tls.mode`, severity: 'error', message });
      return slot;
    }
    (listener.tls?.certificateRefs ?? []).forEach((ref, j) => {
      const at = `${field}.tls.certificateRefs[${j}]`;
      const problem = certificateProblem(ref, gateway, context, slot);
      if (problem) {
        resolved = false;
        resolvedReason = problem.reason;
        resolvedMessage = problem.message;
        slot.problems.push({ field: at, severity: 'error', message: problem.message });
      }
    });
    if (slot.secrets.length === 0) slot.programmed = false;
  }
  slot.conditions = [
    condition('Accepted', true, REASON.Accepted, 'listener accepted'),
    condition('Conflicted', false, REASON.NoConflicts, 'no conflicts'),
    condition('ResolvedRefs', resolved, resolvedReason, resolvedMessage),
    slot.programmed
      ? condition('Programmed', true, REASON.Programmed, 'listener programmed on the Envoy fleet')
      : condition('Programmed', false, REASON.Invalid, 'no usable certificate, so the listener is not served'),
  ];
  if (!slot.programmed) slot.usable = false;
  return slot;
}

function certificateProblem(
  ref: NonNullable<NonNullable<GatewayListener['tls']>['certificateRefs']>[number],
  gateway: Gateway,
  context: ListenerContext,
  slot: ListenerSlot,
): { reason: string; message: string } | undefined {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Secret';
  const namespace = ref.namespace ?? namespaceOf(gateway);
  if (group !== '' || kind !== 'Secret')
    return {
      reason: REASON.InvalidCertificateRef,
      message: `${kind} ${namespace}/${ref.name} is not a Secret; a certificate comes from a kubernetes.io/tls Secret`,
    };
  const permitted = context.grants.permits({
    from: { group: GATEWAY_GROUP, kind: 'Gateway', namespace: namespaceOf(gateway) },
    to: { group: '', kind: 'Secret', namespace, name: ref.name },
  });
  if (!permitted)
    return {
      reason: REASON.RefNotPermitted,
      message: `Secret ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets Gateways of ${namespaceOf(gateway)} refer to it`,
    };
  const checked = readTlsSecret(context.secrets.get(`${namespace}/${ref.name}`), namespace, ref.name);
  if (!checked.ok) return { reason: REASON.InvalidCertificateRef, message: checked.reason };
  context.tlsSecrets.set(checked.secret.name, checked.secret);
  slot.secrets.push(checked.secret.name);
  return undefined;
}
