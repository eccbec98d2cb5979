// translate: routing model → every xDS resource, grouped by type and sorted by name so the same model
// always gives the same bytes (and so the same versions).

import type { RoutingModel } from '../model/types.js';
import { edsCluster } from './cluster.js';
import { loadAssignment } from './endpoint.js';
import { httpListener, type ListenerOptions } from './listener.js';
import { byName, type ResourcesByType } from './resource.js';
import { routeConfiguration } from './route.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from './type-urls.js';

export interface TranslateOptions {
  http: ListenerOptions;
}

export function translate(model: RoutingModel, options: TranslateOptions): ResourcesByType {
  return {
    [LISTENER_TYPE]: [httpListener(options.http)],
    [ROUTE_TYPE]: [routeConfiguration(model.virtualHosts)],
    [CLUSTER_TYPE]: model.clusters.map(edsCluster).sort(byName),
    [ENDPOINT_TYPE]: model.clusters.map(loadAssignment).sort(byName),
  };
}
