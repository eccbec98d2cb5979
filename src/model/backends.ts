// Backend resolution: Service → port → cluster name → ready endpoints. Readiness is cluster state, not
// an input error, so nothing here rejects an Ingress; it only says why a version cannot take traffic.

import { SERVICE_NAME_LABEL, namespaceOf, type EndpointSlice, type Service, type ServicePort } from '../objects/kube.js';
import { sameObjects } from './identity.js';
import type { EndpointAddress } from './types.js';
import { byKey, compareStrings } from '../order.js';

export interface ClusterState {
  services: ReadonlyMap<string, Service>;
  /** EndpointSlices by `<namespace>/<service>`. */
  slices: ReadonlyMap<string, EndpointSlice[]>;
}

/**
 * The index of the last build, kept while every Service and EndpointSlice is the same object: then every
 * backend resolves as before, which resolveGroup uses to keep whole groups without resolving. It belongs
 * to whoever runs the builds, as the plan cache does: two control planes in one process (tests,
 * `translate --diff`) never share it.
 */
export class ClusterIndex {
  private last:
    { services: readonly Service[]; slices: readonly EndpointSlice[]; given: [readonly Service[], readonly EndpointSlice[]]; state: ClusterState } | undefined;

  index(services: readonly Service[], slices: readonly EndpointSlice[]): ClusterState {
    const last = this.last;
    if (last) {
      // The store hands out the same arrays until a kind changes (and they are not modified), so the
      // very arrays of the last build are the same lists: comparing 40,000 objects one by one was a
      // millisecond of every one-Ingress change. Other arrays are compared with the copies.
      const [givenServices, givenSlices] = last.given;
      const sameServices = givenServices === services || sameObjects(last.services, services);
      if (sameServices && (givenSlices === slices || sameObjects(last.slices, slices))) return last.state;
    }
    const state = buildIndex(services, slices);
    this.last = { services: [...services], slices: [...slices], given: [services, slices], state };
    return state;
  }
}

function buildIndex(services: readonly Service[], slices: readonly EndpointSlice[]): ClusterState {
  const byService = new Map<string, Service>();
  for (const s of services) byService.set(`${namespaceOf(s)}/${s.metadata.name}`, s);
  const byOwner = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const key = `${namespaceOf(slice)}/${owner}`;
    const list = byOwner.get(key);
    if (list) list.push(slice);
    else byOwner.set(key, [slice]);
  }
  for (const list of byOwner.values()) list.sort(byKey((s) => s.metadata.name));
  return { services: byService, slices: byOwner };
}

/** `<namespace>/<service>/<port>`: derived from content, so it is the same on every build and restart. */
export function clusterName(namespace: string, service: string, port: number): string {
  return `${namespace}/${service}/${port}`;
}

export type Resolution =
  | { ok: true; cluster: string; port: number; endpoints: EndpointAddress[] }
  | { ok: false; reason: string; cluster: string | null; port?: number; endpoints: EndpointAddress[] };

// A resolution is kept per Service object and port while the Service's slices are the same objects:
// an unchanged backend resolves to the very same object, which lets the groups built on it be kept.
const resolutions = new WeakMap<Service, Map<number | string, { slices: readonly EndpointSlice[]; resolution: Resolution }>>();
const NO_SLICES: readonly EndpointSlice[] = [];

export function resolveBackend(state: ClusterState, namespace: string, service: string, port: number | string): Resolution {
  const svc = state.services.get(`${namespace}/${service}`);
  if (!svc) return { ok: false, reason: `Service ${namespace}/${service} does not exist`, cluster: null, endpoints: [] };
  const slices = state.slices.get(`${namespace}/${service}`) ?? NO_SLICES;
  let byPort = resolutions.get(svc);
  const kept = byPort?.get(port);
  if (kept && sameObjects(kept.slices, slices)) return kept.resolution;
  const resolution = resolveService(svc, slices, namespace, service, port);
  if (!byPort) resolutions.set(svc, (byPort = new Map()));
  byPort.set(port, { slices: [...slices], resolution });
  return resolution;
}

function resolveService(svc: Service, slices: readonly EndpointSlice[], namespace: string, service: string, port: number | string): Resolution {
  const ports = (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  const servicePort = typeof port === 'number' ? ports.find((p) => p.port === port) : ports.find((p) => p.name === port);
  if (!servicePort) {
    const known = ports.map((p) => (p.name ? `${p.name}=${p.port}` : String(p.port))).join(', ') || 'none';
    return { ok: false, reason: `Service ${namespace}/${service} has no TCP port ${JSON.stringify(port)} (its ports: ${known})`, cluster: null, endpoints: [] };
  }
  const cluster = clusterName(namespace, service, servicePort.port);
  const endpoints = readyEndpoints(slices, servicePort);
  if (endpoints.length === 0) {
    return { ok: false, reason: `Service ${namespace}/${service} port ${servicePort.port} has no ready endpoints`, cluster, port: servicePort.port, endpoints };
  }
  return { ok: true, cluster, port: servicePort.port, endpoints };
}

/**
 * Ready addresses for one Service port. EndpointSlice ports are matched to the Service port by name,
 * as kube-proxy does; a hand-written slice without ports falls back to a numeric targetPort.
 */
export function readyEndpoints(slices: readonly EndpointSlice[], servicePort: ServicePort): EndpointAddress[] {
  // Kept per Service port while its slices are the same objects: an unchanged Service keeps the very
  // same endpoint list, which lets translation and encoding skip it by identity.
  const memo = endpointMemo.get(servicePort);
  if (memo && sameObjects(memo.slices, slices)) return memo.endpoints;
  const endpoints = computeReadyEndpoints(slices, servicePort);
  endpointMemo.set(servicePort, { slices: [...slices], endpoints });
  return endpoints;
}

const endpointMemo = new WeakMap<ServicePort, { slices: readonly EndpointSlice[]; endpoints: EndpointAddress[] }>();

function computeReadyEndpoints(slices: readonly EndpointSlice[], servicePort: ServicePort): EndpointAddress[] {
  const wantName = servicePort.name ?? '';
  const seen = new Set<string>();
  const out: EndpointAddress[] = [];
  for (const slice of slices) {
    if (slice.addressType !== undefined && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === wantName && (p.protocol ?? 'TCP') === 'TCP');
    const port = slicePort?.port ?? (slice.ports?.length ? undefined : fallbackPort(servicePort));
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // The API says a missing `ready` condition means ready.
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        const key = `${address}:${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ address, port });
      }
    }
  }
  return out.sort((a, b) => compareStrings(a.address, b.address) || a.port - b.port);
}

function fallbackPort(servicePort: ServicePort): number {
  return typeof servicePort.targetPort === 'number' ? servicePort.targetPort : servicePort.port;
}
