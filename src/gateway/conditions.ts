// Status conditions of Gateway API objects, as the build decides them: types and reasons are the
// specification's own words (gateway.networking.k8s.io/v1 GatewayConditionType, ListenerConditionReason,
// RouteConditionReason…), so kubectl, Argo CD and conformance tests read them as they read any controller's.
// The time of a transition is not decided here: the status writer keeps it while a condition is unchanged.

import type { ObjectRef } from '../objects/diagnostics.js';
import type { ParentReference, RouteGroupKind } from '../objects/gateway-api.js';

export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function condition(type: string, status: boolean, reason: string, message: string): StatusCondition {
  return { type, status: status ? 'True' : 'False', reason, message };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: StatusCondition[];
}

export interface GatewayStatus {
  ref: ObjectRef;
  generation?: number;
  addresses: Array<{ type: string; value: string }>;
  conditions: StatusCondition[];
  listeners: ListenerStatus[];
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: StatusCondition[];
}

export interface RouteStatus {
  ref: ObjectRef;
  generation?: number;
  parents: RouteParentStatus[];
}

export interface GatewayClassStatus {
  ref: ObjectRef;
  generation?: number;
  conditions: StatusCondition[];
}

/** Every status the build decided: what the leader writes, and what file mode shows. */
export interface GatewayStatuses {
  classes: GatewayClassStatus[];
  gateways: GatewayStatus[];
  routes: RouteStatus[];
}

/** The specification's reasons, named once. */
export const REASON = {
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  Invalid: 'Invalid',
  ListenersNotValid: 'ListenersNotValid',
  ResolvedRefs: 'ResolvedRefs',
  NoConflicts: 'NoConflicts',
  HostnameConflict: 'HostnameConflict',
  ProtocolConflict: 'ProtocolConflict',
  UnsupportedProtocol: 'UnsupportedProtocol',
  InvalidRouteKinds: 'InvalidRouteKinds',
  InvalidCertificateRef: 'InvalidCertificateRef',
  RefNotPermitted: 'RefNotPermitted',
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  NoMatchingParent: 'NoMatchingParent',
  UnsupportedValue: 'UnsupportedValue',
  BackendNotFound: 'BackendNotFound',
  InvalidKind: 'InvalidKind',
  UnsupportedAddress: 'UnsupportedAddress',
  Pending: 'Pending',
} as const;
