// buildModel: the store's objects → the routing model and every diagnostic. Pure: the previous
// accepted Ingresses come in and the new ones go out, so "an error keeps the last accepted form"
// needs no hidden state.

import { aliyunWeights, type GroupVersions } from './dialects/aliyun.js';
import { DiagnosticSink, sortDiagnostics, type Diagnostic, type ObjectRef } from './diagnostics.js';
import { indexClusterState, resolveBackend, type ClusterState } from './backends.js';
import { groupLabel, parseIngress, type ParsedGroup } from './ingress.js';
import { isOurs } from './ingress-class.js';
import { namespaceOf, objectKey, type EndpointSlice, type Ingress, type IngressClass, type Service } from './kube-types.js';
import type { ClusterModel, RoutingModel, SplitGroup, Version, VirtualHostModel } from './types.js';
import { applyReadiness } from './weights.js';

export interface ModelInput {
  ingresses: readonly Ingress[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  ingressClasses: readonly IngressClass[];
  /** Our class (`--ingress-class`). */
  ingressClass: string;
}

/** Ingresses last accepted, by `Ingress/<namespace>/<name>`. */
export type AcceptedIngresses = ReadonlyMap<string, Ingress>;

export interface BuildResult {
  model: RoutingModel;
  diagnostics: Diagnostic[];
  accepted: Map<string, Ingress>;
}

interface WeighedIngress {
  ingress: Ingress;
  ref: ObjectRef;
  groups: Array<ParsedGroup & { declared: number[] }>;
  defaultBackend?: ParsedGroup & { declared: number[] };
}

export function buildModel(input: ModelInput, previous: AcceptedIngresses = new Map()): BuildResult {
  const diagnostics: Diagnostic[] = [];
  const accepted = new Map<string, Ingress>();
  const weighed: WeighedIngress[] = [];
  const ours = input.ingresses.filter((i) => isOurs(i, { ingressClass: input.ingressClass, ingressClasses: input.ingressClasses }));

  for (const ingress of ours) {
    const key = objectKey(ingress);
    const ref = refOf(ingress);
    const sink = new DiagnosticSink(ref);
    const result = weighIngress(ingress, sink);
    diagnostics.push(...sink.items);
    if (result) {
      accepted.set(key, ingress);
      weighed.push(result);
      continue;
    }
    const last = previous.get(key);
    if (last) {
      // The last accepted form validated before and validation depends on the Ingress alone.
      const again = weighIngress(last, new DiagnosticSink(ref));
      if (again) {
        accepted.set(key, last);
        weighed.push(again);
        diagnostics.push({ severity: 'warning', object: ref, field: 'metadata', message: 'this version is rejected because of the errors above; the last accepted version of the Ingress keeps serving' });
        continue;
      }
    }
    diagnostics.push({ severity: 'warning', object: ref, field: 'metadata', message: 'this Ingress is rejected because of the errors above and has never been accepted, so it serves nothing' });
  }

  const state = indexClusterState(input.services, input.endpointSlices);
  const model = assemble(weighed.sort(byAge), state, diagnostics);
  return { model, diagnostics: sortDiagnostics(diagnostics), accepted };
}

function weighIngress(ingress: Ingress, sink: DiagnosticSink): WeighedIngress | null {
  const parsed = parseIngress(ingress, sink);
  if (sink.hasErrors()) return null;
  const annotations = ingress.metadata.annotations ?? {};
  const all = parsed.defaultBackend ? [...parsed.groups, parsed.defaultBackend] : parsed.groups;
  const shapes: GroupVersions[] = all.map((g) => ({ label: groupLabel(g), services: g.versions.map((v) => v.service) }));
  const declared = aliyunWeights(annotations, shapes, sink);
  if (!declared || sink.hasErrors()) return null;
  const groups = parsed.groups.map((g, i) => ({ ...g, declared: declared[i] }));
  const result: WeighedIngress = { ingress, ref: refOf(ingress), groups };
  if (parsed.defaultBackend) result.defaultBackend = { ...parsed.defaultBackend, declared: declared[all.length - 1] };
  return result;
}

function assemble(ingresses: readonly WeighedIngress[], state: ClusterState, diagnostics: Diagnostic[]): RoutingModel {
  const hosts = new Map<string, VirtualHostModel>();
  const claimed = new Map<string, ObjectRef>();
  const clusters = new Map<string, ClusterModel>();
  let defaultBackend: SplitGroup | undefined;
  let defaultOwner: ObjectRef | undefined;

  for (const weighedIngress of ingresses) {
    const { ingress, ref } = weighedIngress;
    const namespace = namespaceOf(ingress);
    const sink = new DiagnosticSink(ref);
    for (const group of weighedIngress.groups) {
      const claim = `${group.host}\u0000${group.path}\u0000${group.pathType}`;
      const owner = claimed.get(claim);
      if (owner) {
        sink.warning(group.field, `${groupLabel(group)} is already served by Ingress ${owner.namespace}/${owner.name}, which is older; this path is ignored`);
        continue;
      }
      claimed.set(claim, ref);
      const host = group.host === '' ? '*' : group.host;
      const vhost = hosts.get(host) ?? { host, groups: [] };
      vhost.groups.push(resolveGroup(group, namespace, ref, state, sink, clusters));
      hosts.set(host, vhost);
    }
    if (weighedIngress.defaultBackend) {
      if (defaultOwner) {
        sink.warning('spec.defaultBackend', `the default backend is already set by Ingress ${defaultOwner.namespace}/${defaultOwner.name}, which is older; this one is ignored`);
      } else {
        defaultOwner = ref;
        defaultBackend = resolveGroup(weighedIngress.defaultBackend, namespace, ref, state, sink, clusters);
      }
    }
    diagnostics.push(...sink.items);
  }
  if (defaultBackend && !hosts.has('*')) hosts.set('*', { host: '*', groups: [] });
  const virtualHosts = [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (defaultBackend) for (const vhost of virtualHosts) vhost.defaultBackend = defaultBackend;
  return { virtualHosts, clusters: [...clusters.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

function resolveGroup(
  group: ParsedGroup & { declared: number[] },
  namespace: string,
  source: ObjectRef,
  state: ClusterState,
  sink: DiagnosticSink,
  clusters: Map<string, ClusterModel>,
): SplitGroup {
  const resolutions = group.versions.map((v) => resolveBackend(state, namespace, v.service, v.port));
  resolutions.forEach((r, i) => {
    if (r.cluster !== null && r.port !== undefined && !clusters.has(r.cluster)) {
      clusters.set(r.cluster, { name: r.cluster, namespace, service: group.versions[i].service, port: r.port, endpoints: r.endpoints });
    }
  });
  const ready = resolutions.map((r) => r.ok);
  const { basisPoints, outcome } = applyReadiness(group.declared, ready);
  const label = groupLabel(group);
  group.versions.forEach((v, i) => {
    const r = resolutions[i];
    if (r.ok) return;
    const consequence =
      outcome === 'none-ready'
        ? `no backend of ${label} is ready, so the declared weights stay and Envoy answers 503 until one is`
        : group.declared[i] > 0
          ? `its ${group.declared[i] / 100}% of ${label} goes to the ready backends`
          : `it takes no traffic of ${label}`;
    sink.warning(`${v.field}.service.name`, `${r.reason}; ${consequence}`);
  });
  if (outcome === 'ready-had-no-weight') {
    sink.warning(group.field, `every backend of ${label} with weight is not ready, so the ready backends share the traffic equally`);
  }
  const versions: Version[] = group.versions.map((v, i) => ({
    service: v.service,
    cluster: resolutions[i].cluster,
    declaredBasisPoints: group.declared[i],
    basisPoints: basisPoints[i],
    ready: ready[i],
  }));
  return { source, host: group.host === '' ? '*' : group.host, path: group.path, pathType: group.pathType, versions, order: group.order };
}

function refOf(ingress: Ingress): ObjectRef {
  return { kind: 'Ingress', namespace: namespaceOf(ingress), name: ingress.metadata.name };
}

// Older Ingresses win conflicts, as in ingress-nginx; without timestamps (files) namespace/name decides.
function byAge(a: WeighedIngress, b: WeighedIngress): number {
  const ta = a.ingress.metadata.creationTimestamp ?? '';
  const tb = b.ingress.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.ref.namespace}/${a.ref.name}`;
  const kb = `${b.ref.namespace}/${b.ref.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
