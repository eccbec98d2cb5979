// translate: routing model → every xDS resource, grouped by type and sorted by name so the same model
// always gives the same bytes (and so the same versions).

import type { RoutingModel } from '../model/types.js';
import { edsCluster } from './cluster.js';
import { loadAssignment } from './endpoint.js';
import { httpListener, type ListenerOptions } from './listener.js';
import { byName, type Resource, type ResourcesByType } from './resource.js';
import { routeConfiguration } from './route.js';
import { httpsListener, tlsSecret } from './tls.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from './type-urls.js';

export interface TranslateOptions {
  http: ListenerOptions;
  /** Where the HTTPS listener binds, when any host has TLS. */
  https?: ListenerOptions;
  /** The port clients reach HTTPS on, in redirects from HTTP; the HTTPS listener's port by default. */
  httpsRedirectPort?: number;
}

export function translate(model: RoutingModel, options: TranslateOptions): ResourcesByType {
  const https = options.https ? httpsListener(options.https, model.tlsHosts) : null;
  const listeners: Resource[] = [httpListener(options.http)];
  if (https) listeners.push(https);
  return {
    [LISTENER_TYPE]: listeners.sort(byName),
    // Redirects only when the HTTPS listener exists: never send a client to a port nothing serves.
    [ROUTE_TYPE]: [routeConfiguration(model.virtualHosts, https ? { httpsRedirectPort: options.httpsRedirectPort ?? options.https!.port } : {})],
    [CLUSTER_TYPE]: model.clusters.map(edsCluster).sort(byName),
    [ENDPOINT_TYPE]: model.clusters.map(loadAssignment).sort(byName),
    // Only certificates a listener uses are sent: Envoy asks for them by name.
    [SECRET_TYPE]: https ? model.secrets.map(tlsSecret).sort(byName) : [],
  };
}
