// The blue-green example (deploy/examples/blue-green) made runnable on one machine: a copy whose
// EndpointSlices point at local backends, and the Ingress at each step of the release.
// Used by `npm run demo` and by the integration tests, so both run exactly the same story.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, loadAll } from 'js-yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EXAMPLE_DIR = path.join(repo, 'deploy', 'examples', 'blue-green');

/** Copies the example to a fresh temp folder, with each named Service's endpoints on 127.0.0.1:port. */
export function localExample(ports: Record<string, number>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-example-'));
  for (const file of fs.readdirSync(EXAMPLE_DIR)) {
    const text = fs.readFileSync(path.join(EXAMPLE_DIR, file), 'utf8');
    const docs = loadAll(text).map((doc) => {
      const obj = doc as { kind?: string; metadata?: { labels?: Record<string, string> }; endpoints?: unknown; ports?: unknown } | null;
      const owner = obj?.metadata?.labels?.['kubernetes.io/service-name'];
      if (obj?.kind === 'EndpointSlice' && owner !== undefined && owner in ports) {
        obj.endpoints = [{ addresses: ['127.0.0.1'], conditions: { ready: true } }];
        obj.ports = [{ port: ports[owner], protocol: 'TCP' }];
      }
      return obj;
    });
    fs.writeFileSync(
      path.join(dir, file),
      docs
        .filter(Boolean)
        .map((d) => dump(d))
        .join('---\n'),
    );
  }
  return dir;
}

/**
 * A step of the release: only old; a weight for new (the article's three edits); only new; or old and new
 * with one `splitplane.io/rollout` annotation that walks new from the first step to the last by itself.
 */
export type ReleaseStep = { kind: 'before' } | { kind: 'weight'; percent: string } | { kind: 'finished' } | { kind: 'rollout'; spec: string };

/** The blue-green example's Ingress (extensions/v1beta1, as in the article) at one step of the release. */
export function blueGreenIngress(step: ReleaseStep): string {
  const backend = (name: string) => `      - path: /\n        backend:\n          serviceName: ${name}\n          servicePort: 80\n`;
  const annotations =
    step.kind === 'weight'
      ? `  annotations:\n    ingress.aliyun.weight/new-nginx: "${step.percent}"\n`
      : step.kind === 'rollout'
        ? `  annotations:\n    splitplane.io/rollout: ${JSON.stringify(step.spec)}\n`
        : '';
  const both = step.kind === 'weight' || step.kind === 'rollout';
  const backends = step.kind === 'before' ? backend('old-nginx') : both ? backend('old-nginx') + backend('new-nginx') : backend('new-nginx');
  return `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: echo
${annotations}spec:
  backend:
    serviceName: default-http-backend
    servicePort: 80
  rules:
  - host: mini-echo.io
    http:
      paths:
${backends}`;
}

/** Replaces the Ingress file atomically (write + rename), as editors and kubectl-like tools do. */
export function writeIngress(dir: string, text: string): void {
  const tmp = path.join(dir, '.ingress.yaml.tmp');
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, path.join(dir, 'ingress.yaml'));
}
