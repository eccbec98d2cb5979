// Route attachment: which listeners take a route through each of its parentRefs, and the route's
// condition for that parent. A parentRef names a Gateway (and optionally a listener by sectionName, or
// by port); the listener must be usable, allow the route's kind and namespace, and share a hostname
// with the route. The reasons are the specification's: NoMatchingParent when no listener is named,
// NotAllowedByListeners when none lets the route in, NoMatchingListenerHostname when one would but no
// hostname intersects.

import { GATEWAY_GROUP, type LabelSelector, type ParentReference } from '../objects/gateway-api.js';
import { namespaceOf } from '../objects/kube.js';
import { intersectHostnames } from './hostnames.js';
import { REASON, condition, type StatusCondition } from './conditions.js';
import type { ListenerSlot } from './listeners.js';

export interface Attachment {
  slot: ListenerSlot;
  hostnames: string[];
}

export interface ParentOutcome {
  attachments: Attachment[];
  accepted: StatusCondition;
}

export interface RouteIdentity {
  kind: string;
  namespace: string;
  hostnames: readonly string[];
}

/** Labels of a namespace; the API server always sets `kubernetes.io/metadata.name`. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>>;

export function parentKey(ref: ParentReference, routeNamespace: string): string | undefined {
  if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') return undefined;
  return `${ref.namespace ?? routeNamespace}/${ref.name}`;
}

export function attach(route: RouteIdentity, ref: ParentReference, slots: readonly ListenerSlot[], labels: NamespaceLabels): ParentOutcome {
  const named = slots.filter(
    (s) => (ref.sectionName === undefined || s.listener.name === ref.sectionName) && (ref.port === undefined || s.listener.port === ref.port),
  );
  if (named.length === 0) {
    const what = [ref.sectionName !== undefined ? `named ${ref.sectionName}` : '', ref.port !== undefined ? `on port ${ref.port}` : '']
      .filter(Boolean)
      .join(' ');
    return { attachments: [], accepted: condition('Accepted', false, REASON.NoMatchingParent, `the Gateway has no listener ${what || 'at all'}`) };
  }
  const attachments: Attachment[] = [];
  let allowedSomewhere = false;
  for (const slot of named) {
    if (!slot.usable) continue;
    if (!slot.supportedKinds.some((k) => k.kind === route.kind)) continue;
    if (!namespaceAllowed(slot, route.namespace, labels)) continue;
    allowedSomewhere = true;
    const hostnames = intersectHostnames(slot.listener.hostname, route.hostnames);
    if (hostnames.length === 0) continue;
    attachments.push({ slot, hostnames });
  }
  if (attachments.length > 0) return { attachments, accepted: condition('Accepted', true, REASON.Accepted, 'route accepted') };
  if (allowedSomewhere)
    return {
      attachments,
      accepted: condition(
        'Accepted',
        false,
        REASON.NoMatchingListenerHostname,
        `no hostname of the route (${route.hostnames.join(', ')}) matches a listener's hostname`,
      ),
    };
  const unusable = named.every((s) => !s.usable);
  return {
    attachments,
    accepted: condition(
      'Accepted',
      false,
      REASON.NotAllowedByListeners,
      unusable
        ? 'no listener it names is served (see the Gateway status)'
        : `no listener it names allows ${route.kind}s from namespace ${route.namespace} (allowedRoutes)`,
    ),
  };
}

function namespaceAllowed(slot: ListenerSlot, namespace: string, labels: NamespaceLabels): boolean {
  const from = slot.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return namespace === namespaceOf(slot.gateway);
  const selector = slot.listener.allowedRoutes?.namespaces?.selector;
  return selector !== undefined && selects(selector, labels(namespace));
}

export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
