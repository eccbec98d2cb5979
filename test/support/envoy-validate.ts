// `envoy --mode validate` on a static bootstrap: what Envoy itself accepts, for checking our own
// up-front checks (regex sizes, certificate keys) against the real thing.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envoyBinary } from '../../src/local/envoy.js';
import { JSON_OPTIONS, messageType } from '../../src/proto/registry.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, messageName, type TypeUrl } from '../../src/proto/type-urls.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import type { Json } from './json.js';

export function envoyValidates(bootstrap: object): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-validate-'));
  const file = path.join(dir, 'bootstrap.json');
  fs.writeFileSync(file, JSON.stringify(bootstrap));
  try {
    return {
      ok: true,
      output: execFileSync(envoyBinary(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'critical'], { encoding: 'utf8', stdio: 'pipe' }),
    };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? '') + String((error as { stderr?: string }).stderr ?? '') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A listener on 127.0.0.1 with the given filter chains (bound only if Envoy runs it, never in validate). */
export function listenerBootstrap(filterChains: object[], extra: object = {}): object {
  return {
    static_resources: {
      listeners: [{ name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 10999 } }, filter_chains: filterChains }],
      ...extra,
    },
  };
}

/**
 * A snapshot as one static bootstrap, for `envoy --mode validate`: routes inlined where listeners name
 * them by RDS, EDS clusters made STATIC with their assignment, SDS secrets made static. What Envoy
 * would refuse in any of them, validate refuses.
 */
export function snapshotBootstrap(snapshot: Snapshot): object {
  const json = (typeUrl: TypeUrl) =>
    [...snapshot.type(typeUrl).resources.values()].map((r) => {
      const type = messageType(messageName(typeUrl));
      const any = messageType('google.protobuf.Any').decode(r.any) as unknown as { value: Uint8Array };
      return type.toObject(type.decode(any.value), JSON_OPTIONS) as Record<string, Json>;
    });
  const routes = new Map(json(ROUTE_TYPE).map((r) => [r.name as string, r]));
  const assignments = new Map(json(ENDPOINT_TYPE).map((a) => [a.cluster_name as string, a]));
  const listeners = json(LISTENER_TYPE).map((listener) => {
    for (const chain of listener.filter_chains ?? []) {
      for (const filter of chain.filters ?? []) {
        const hcm = filter.typed_config;
        if (hcm?.rds) {
          hcm.route_config = routes.get(hcm.rds.route_config_name);
          delete hcm.rds;
        }
      }
      for (const sds of chain.transport_socket?.typed_config?.common_tls_context?.tls_certificate_sds_secret_configs ?? []) delete sds.sds_config;
    }
    return listener;
  });
  const clusters = json(CLUSTER_TYPE).map((cluster) => {
    if (cluster.type !== 'EDS') return cluster;
    const { eds_cluster_config: _eds, ...rest } = cluster;
    return { ...rest, type: 'STATIC', load_assignment: assignments.get(cluster.name) ?? { cluster_name: cluster.name } };
  });
  return { static_resources: { listeners, clusters, secrets: json(SECRET_TYPE) } };
}
