// The benchmark world: N Ingresses, each splitting one host between two versions (old/new Services
// with one ready endpoint each), written as one file per Ingress like a GitOps folder would be.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function ingressYaml(i: number, percent: number): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-${i}
  namespace: bench
  annotations:
    ingress.aliyun.weight/app-${i}-new: "${percent}"
spec:
  rules:
  - host: app-${i}.bench.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: { service: { name: app-${i}-old, port: { number: 80 } } }
      - path: /
        pathType: Prefix
        backend: { service: { name: app-${i}-new, port: { number: 80 } } }
`;
}

function versionYaml(i: number, version: 'old' | 'new'): string {
  const name = `app-${i}-${version}`;
  const octet = (n: number) => `${Math.floor(n / 250) % 250}.${n % 250}`;
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: bench }
spec: { ports: [{ port: 80, protocol: TCP }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-x1
  namespace: bench
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ port: 8080, protocol: TCP }]
endpoints:
- addresses: ["10.${version === 'old' ? 1 : 2}.${octet(i)}"]
  conditions: { ready: true }
`;
}

export function writeWorld(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bench-'));
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(path.join(dir, `app-${i}-ingress.yaml`), ingressYaml(i, 10));
    fs.writeFileSync(path.join(dir, `app-${i}-services.yaml`), `${versionYaml(i, 'old')}---\n${versionYaml(i, 'new')}`);
  }
  return dir;
}
