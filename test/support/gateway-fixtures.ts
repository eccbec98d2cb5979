// Gateway API objects for tests, written as a user would write them (defaults left out).

import type { Json } from './json.js';

export const GROUP = 'gateway.networking.k8s.io';

export function gatewayClass(name = 'splitplane', controllerName = 'splitplane.io/gateway-controller'): Json {
  return { apiVersion: `${GROUP}/v1`, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

export function gateway(listeners: Json[], options: { name?: string; namespace?: string; className?: string; creationTimestamp?: string } = {}): Json {
  const metadata: Json = { name: options.name ?? 'web', namespace: options.namespace ?? 'default' };
  if (options.creationTimestamp) metadata.creationTimestamp = options.creationTimestamp;
  return { apiVersion: `${GROUP}/v1`, kind: 'Gateway', metadata, spec: { gatewayClassName: options.className ?? 'splitplane', listeners } };
}

export function listener(name: string, port: number, extra: Json = {}): Json {
  return { name, port, protocol: 'HTTP', ...extra };
}

export function httpRoute(name: string, spec: Json, options: { namespace?: string; creationTimestamp?: string; kind?: string } = {}): Json {
  const metadata: Json = { name, namespace: options.namespace ?? 'default' };
  if (options.creationTimestamp) metadata.creationTimestamp = options.creationTimestamp;
  return { apiVersion: `${GROUP}/v1`, kind: options.kind ?? 'HTTPRoute', metadata, spec };
}

export function referenceGrant(namespace: string, from: Json[], to: Json[], name = 'grant'): Json {
  return { apiVersion: `${GROUP}/v1beta1`, kind: 'ReferenceGrant', metadata: { name, namespace }, spec: { from, to } };
}
