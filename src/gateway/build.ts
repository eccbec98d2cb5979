// buildGateways: the Gateway API objects → the routes each listener port serves, every object's status
// conditions, and diagnostics saying the same in words. Pure, like buildModel: the last accepted form
// of each object comes in, and a route whose current form cannot be served (a value splitplane does not
// support) keeps its last accepted form serving while its status says why the new one is not.

import { DiagnosticSink, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { namespaceOf, objectKey, type KubeObject, type Secret } from '../objects/kube.js';
import type { GRPCRoute, Gateway, GatewayClass, HTTPRoute, Namespace, ReferenceGrant } from '../objects/gateway-api.js';
import type { ClusterState } from '../model/backends.js';
import type { ClusterModel, GatewayPortModel, GatewayRouteEntry, SecretModel, VirtualHostModel } from '../model/types.js';
import { admitAll, type AcceptedObjects, type RejectedObjects } from '../model/admission.js';
import { byKey, compareStrings } from '../order.js';
import { pushAll } from '../lists.js';
import { Grants } from './grants.js';
import { layOutListeners, type IngressPorts, type ListenerSlot } from './listeners.js';
import { attach, parentKey } from './attach.js';
import { planRoute, type PlannedRoute } from './http-route.js';
import { REASON, condition, type GatewayStatuses, type RouteParentStatus, type StatusCondition } from './conditions.js';
import { compareMatches, type RankedMatch } from './precedence.js';
import { guard } from '../model/guard.js';

export const DEFAULT_CONTROLLER_NAME = 'splitplane.io/gateway-controller';

export interface GatewayInput {
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly HTTPRoute[];
  grpcRoutes: readonly GRPCRoute[];
  referenceGrants: readonly ReferenceGrant[];
  namespaces: readonly Namespace[];
  /** Our `controllerName` (`--gateway-controller-name`). */
  controllerName: string;
  /** Addresses the fleet is reached at, for Gateway status (--publish-address). */
  addresses?: readonly string[];
}

/** The Gateway API objects of a store or a list of manifests, by kind. */
export function gatewayObjects(
  of: <T extends KubeObject>(kind: T['kind']) => readonly T[],
): Pick<GatewayInput, 'gatewayClasses' | 'gateways' | 'httpRoutes' | 'grpcRoutes' | 'referenceGrants' | 'namespaces'> {
  return {
    gatewayClasses: of<GatewayClass>('GatewayClass'),
    gateways: of<Gateway>('Gateway'),
    httpRoutes: of<HTTPRoute>('HTTPRoute'),
    grpcRoutes: of<GRPCRoute>('GRPCRoute'),
    referenceGrants: of<ReferenceGrant>('ReferenceGrant'),
    namespaces: of<Namespace>('Namespace'),
  };
}

export interface GatewayContext {
  state: ClusterState;
  secrets: ReadonlyMap<string, Secret>;
  ingressPorts: IngressPorts;
  previous: AcceptedObjects;
  rejected: RejectedObjects;
  /** Filled: the form of every Gateway API object used. */
  accepted: Map<string, KubeObject>;
  clusters: Map<string, ClusterModel>;
  tlsSecrets: Map<string, SecretModel>;
}

export interface GatewayBuild {
  /** Hosts of Gateway listeners on the Ingress HTTP port: merged into the Ingress route configuration. */
  ingressPortHosts: VirtualHostModel[];
  ports: GatewayPortModel[];
  statuses: GatewayStatuses;
  diagnostics: Diagnostic[];
}

export function buildGateways(input: GatewayInput, context: GatewayContext): GatewayBuild {
  const diagnostics: Diagnostic[] = [];
  const admit = <T extends KubeObject>(list: readonly T[]) => admitAll(list, context.previous, context.rejected, context.accepted, diagnostics);
  const classes = admit(input.gatewayClasses).filter((c) => c.spec.controllerName === input.controllerName);
  const ourClasses = new Set(classes.map((c) => c.metadata.name));
  const gateways = admit(input.gateways)
    .filter((g) => ourClasses.has(g.spec.gatewayClassName))
    .sort(byAge);
  const grants = new Grants(admit(input.referenceGrants));
  const namespaces = new Map(admit(input.namespaces).map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const labels = (ns: string) => ({ ...(namespaces.get(ns) ?? {}), 'kubernetes.io/metadata.name': ns });

  const slots = layOutListeners(gateways, { ingressPorts: context.ingressPorts, grants, secrets: context.secrets, tlsSecrets: context.tlsSecrets });
  const slotsByGateway = new Map<string, ListenerSlot[]>();
  for (const slot of slots) {
    const key = `${slot.gatewayRef.namespace}/${slot.gatewayRef.name}`;
    slotsByGateway.set(key, [...(slotsByGateway.get(key) ?? []), slot]);
  }
  const allGateways = new Set(input.gateways.map((g) => `${namespaceOf(g)}/${g.metadata.name}`));

  // Routes: every HTTPRoute and GRPCRoute naming one of our Gateways (or a Gateway that does not exist).
  const hosts = new Map<string, { port: number; protocol: 'HTTP' | 'HTTPS'; host: string; entries: Array<GatewayRouteEntry & { rank: RankedMatch }> }>();
  const routeStatuses: GatewayStatuses['routes'] = [];
  const routes = [...admit(input.httpRoutes), ...admit(input.grpcRoutes)];
  for (const route of routes) {
    const namespace = namespaceOf(route);
    const mine = (route.spec?.parentRefs ?? []).filter((p) => {
      const key = parentKey(p, namespace);
      return key !== undefined && (slotsByGateway.has(key) || !allGateways.has(key));
    });
    if (mine.length === 0) continue;
    const sink = new DiagnosticSink({ kind: route.kind, namespace, name: route.metadata.name });
    const planned = guard(sink, 'planned', () => planRoute(route, { state: context.state, grants, clusters: context.clusters }));
    if (!planned) {
      pushAll(diagnostics, sink.items);
      continue;
    }
    // A value we cannot serve: the route is not accepted; its last accepted form (if any) keeps serving.
    let serving: PlannedRoute | undefined = planned;
    if (planned.unsupported.length > 0) {
      for (const p of planned.unsupported) sink.error(p.field, `${p.message}; the route is not accepted (Accepted: False, UnsupportedValue)`);
      const last = context.previous.get(objectKey(route)) as HTTPRoute | GRPCRoute | undefined;
      serving = last && last !== route ? planRoute(last, { state: context.state, grants, clusters: context.clusters }) : undefined;
      if (serving?.unsupported.length) serving = undefined;
      sink.warning(
        'metadata',
        serving ? 'this version is not served; the last accepted version keeps serving' : 'this route has never been accepted, so it serves nothing',
      );
      if (serving) context.accepted.set(objectKey(route), last!);
      else context.accepted.delete(objectKey(route));
    }
    for (const p of planned.unresolved) sink.warning(p.field, p.message);
    for (const p of planned.unready) sink.warning(p.field, p.message);
    const resolvedRefs =
      planned.unresolved.length === 0
        ? condition('ResolvedRefs', true, REASON.ResolvedRefs, 'every reference resolves')
        : condition('ResolvedRefs', false, planned.unresolved[0]!.reason, planned.unresolved.map((p) => p.message).join('; '));
    const parents: RouteParentStatus[] = [];
    mine.forEach((parentRef) => {
      const i = (route.spec?.parentRefs ?? []).indexOf(parentRef);
      const key = parentKey(parentRef, namespace)!;
      const gatewaySlots = slotsByGateway.get(key);
      let accepted: StatusCondition;
      if (!gatewaySlots) {
        accepted = condition('Accepted', false, REASON.NoMatchingParent, `Gateway ${key} does not exist`);
      } else {
        const outcome = attach({ kind: route.kind, namespace, hostnames: planned.hostnames }, parentRef, gatewaySlots, labels);
        accepted = outcome.accepted;
        if (planned.unsupported.length > 0)
          accepted = condition('Accepted', false, REASON.UnsupportedValue, planned.unsupported.map((p) => p.message).join('; '));
        const servingOutcome =
          serving === planned
            ? outcome
            : serving
              ? attach({ kind: route.kind, namespace, hostnames: serving.hostnames }, parentRef, gatewaySlots, labels)
              : undefined;
        for (const { slot, hostnames } of servingOutcome?.attachments ?? []) {
          slot.attachedRoutes++;
          for (const hostname of hostnames) addRoutes(hosts, slot, hostname, serving!);
        }
      }
      if (accepted.status === 'False') sink.warning(`spec.parentRefs[${i}]`, `${accepted.reason}: ${accepted.message}`);
      parents.push({ parentRef, controllerName: input.controllerName, conditions: [accepted, resolvedRefs] });
    });
    routeStatuses.push({ ref: planned.ref, ...generationOf(route), parents });
    pushAll(diagnostics, sink.items);
  }

  // Listener ports → virtual hosts, matches in precedence order.
  const ingressPortHosts: VirtualHostModel[] = [];
  const ports = new Map<number, GatewayPortModel>();
  for (const { port, protocol, host, entries } of [...hosts.values()].sort(byKey((h) => `${h.port}\u0000${h.host}`))) {
    entries.sort((a, b) => compareMatches(a.rank, b.rank));
    const vhost: VirtualHostModel = { host, groups: [], gatewayRoutes: entries.map(({ rule, match, matchIndex }) => ({ rule, match, matchIndex })) };
    if (port === context.ingressPorts.http && protocol === 'HTTP') {
      ingressPortHosts.push(vhost);
      continue;
    }
    let model = ports.get(port);
    if (!model) ports.set(port, (model = { port, protocol, virtualHosts: [] }));
    model.virtualHosts.push(vhost);
  }
  for (const slot of slots) {
    if (!slot.usable || slot.listener.protocol !== 'HTTPS') continue;
    const model = ports.get(slot.port) ?? { port: slot.port, protocol: 'HTTPS' as const, virtualHosts: [] };
    ports.set(slot.port, model);
    (model.tls ??= []).push({ hostname: slot.listener.hostname ?? '*', secrets: slot.secrets });
  }
  // An HTTP listener with no route still listens (Envoy answers 404), as a Gateway promises.
  for (const slot of slots) {
    if (!slot.usable || slot.listener.protocol !== 'HTTP' || slot.port === context.ingressPorts.http || ports.has(slot.port)) continue;
    ports.set(slot.port, { port: slot.port, protocol: 'HTTP', virtualHosts: [] });
  }

  const statuses: GatewayStatuses = {
    classes: classes.map((c) => ({
      ref: { kind: 'GatewayClass', name: c.metadata.name },
      ...generationOf(c),
      conditions: [condition('Accepted', true, REASON.Accepted, `served by ${input.controllerName}`)],
    })),
    gateways: gateways.map((g) => gatewayStatus(g, slotsByGateway.get(`${namespaceOf(g)}/${g.metadata.name}`) ?? [], input.addresses ?? [], diagnostics)),
    routes: routeStatuses,
  };
  return { ingressPortHosts, ports: [...ports.values()].sort((a, b) => a.port - b.port), statuses, diagnostics };
}

function addRoutes(
  hosts: Map<string, { port: number; protocol: 'HTTP' | 'HTTPS'; host: string; entries: Array<GatewayRouteEntry & { rank: RankedMatch }> }>,
  slot: ListenerSlot,
  hostname: string,
  route: PlannedRoute,
): void {
  const port = slot.port;
  const key = `${port}\u0000${hostname}`;
  let host = hosts.get(key);
  if (!host) hosts.set(key, (host = { port, protocol: slot.listener.protocol as 'HTTP' | 'HTTPS', host: hostname, entries: [] }));
  const [namespace, name] = [route.namespace, route.ref.name];
  for (const { rule, matches } of route.rules) {
    matches.forEach((match, matchIndex) => {
      // The same rule reached through two parentRefs or listeners is one route, not two.
      if (host.entries.some((e) => e.rule === rule && e.matchIndex === matchIndex)) return;
      const rank: RankedMatch = {
        path: match.path,
        headers: match.conditions.filter((c) => c.kind === 'header').length,
        queryParams: match.conditions.filter((c) => c.kind === 'query').length,
        route: { namespace, name, ...(route.creationTimestamp !== undefined ? { creationTimestamp: route.creationTimestamp } : {}) },
        rule: rule.rule,
        match: matchIndex,
      };
      if (match.method !== undefined) rank.method = match.method;
      host.entries.push({ rule, match, matchIndex, rank });
    });
  }
}

function gatewayStatus(
  gateway: Gateway,
  slots: readonly ListenerSlot[],
  addresses: readonly string[],
  diagnostics: Diagnostic[],
): GatewayStatuses['gateways'][number] {
  const ref: ObjectRef = { kind: 'Gateway', namespace: namespaceOf(gateway), name: gateway.metadata.name };
  const sink = new DiagnosticSink(ref);
  for (const slot of slots) for (const p of slot.problems) (p.severity === 'error' ? sink.error : sink.warning).call(sink, p.field, p.message);
  const invalid = slots.filter((s) => !s.usable);
  const programmed = slots.some((s) => s.usable);
  const conditions: StatusCondition[] = [];
  const requested = gateway.spec.addresses ?? [];
  const unsupported = requested.find((a) => (a.type ?? 'IPAddress') !== 'IPAddress' && a.type !== 'Hostname');
  const unusable = requested.find((a) => a.value !== undefined && !addresses.includes(a.value));
  if (unsupported) {
    conditions.push(condition('Accepted', false, REASON.UnsupportedAddress, `address type ${unsupported.type} is not supported; use IPAddress or Hostname`));
    sink.error('spec.addresses', `address type ${unsupported.type} is not supported; use IPAddress or Hostname`);
  } else if (invalid.length === 0) conditions.push(condition('Accepted', true, REASON.Accepted, 'every listener is valid'));
  else
    conditions.push(
      condition(
        'Accepted',
        programmed,
        REASON.ListenersNotValid,
        `listener${invalid.length > 1 ? 's' : ''} ${invalid.map((s) => s.listener.name).join(', ')} cannot be served (see their conditions)`,
      ),
    );
  if (unusable) {
    conditions.push(
      condition(
        'Programmed',
        false,
        'AddressNotUsable',
        `the Envoy fleet is not reached at ${unusable.value}; its addresses are ${addresses.join(', ') || 'not published'}`,
      ),
    );
    sink.warning(
      'spec.addresses',
      `the Envoy fleet is not reached at ${unusable.value}; its addresses are ${addresses.join(', ') || 'not published (--publish-address)'}`,
    );
  } else
    conditions.push(
      programmed
        ? condition('Programmed', true, REASON.Programmed, 'served by the Envoy fleet')
        : condition('Programmed', false, REASON.Invalid, 'no listener can be served'),
    );
  pushAll(diagnostics, sink.items);
  return {
    ref,
    ...generationOf(gateway),
    addresses: addresses.map((value) => ({ type: /^[0-9.]+$|:/.test(value) ? 'IPAddress' : 'Hostname', value })),
    conditions,
    listeners: slots.map((s) => ({ name: s.listener.name, supportedKinds: s.supportedKinds, attachedRoutes: s.attachedRoutes, conditions: s.conditions })),
  };
}

function generationOf(object: KubeObject): { generation?: number } {
  const generation = (object.metadata as { generation?: unknown }).generation;
  return typeof generation === 'number' ? { generation } : {};
}

// Older Gateways keep contested ports; without timestamps (files) namespace/name decides.
function byAge(a: Gateway, b: Gateway): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(`${namespaceOf(a)}/${a.metadata.name}`, `${namespaceOf(b)}/${b.metadata.name}`);
}
