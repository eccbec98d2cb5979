// `envoy --mode validate` on a static bootstrap: what Envoy itself accepts, for checking our own
// up-front checks (regex sizes, certificate keys) against the real thing.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envoyBinary } from '../../src/demo/envoy-process.js';

export function envoyValidates(bootstrap: object): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-validate-'));
  const file = path.join(dir, 'bootstrap.json');
  fs.writeFileSync(file, JSON.stringify(bootstrap));
  try {
    return { ok: true, output: execFileSync(envoyBinary(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'critical'], { encoding: 'utf8', stdio: 'pipe' }) };
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
