// `splitplane translate --to-gateway-api`: annotated Ingresses → a Gateway and HTTPRoutes that splitplane
// serves the same way. It starts from the routing model, where every dialect (aliyun weight, ACK
// service-weight and service-match, ingress-nginx canary by weight, header and cookie) is already one
// split per host and path with its match rules, so each dialect is translated once, the same way:
//
// - a split group → an HTTPRoute rule matching its path, backendRefs weighted in basis points (a weight
//   of 0 is kept: the version stays listed, with no traffic, as in the Ingress);
// - a header, cookie or query rule → a rule with the same path and header or query matches, ahead of
//   the weighted one by the Gateway API's precedence (more matches first);
// - HTTPS hosts → HTTPS listeners with their certificate Secrets (and a ReferenceGrant when the Secret is
//   in another namespace than the Gateway); ssl-redirect → a RequestRedirect rule on the HTTP listener;
// - the default backend → a route without hostnames, and a last `/` rule on every host.
//
// What Gateway API cannot say is a comment in the output and a warning: the sticky cookie (session
// persistence is not in the standard channel), a one-label Ingress wildcard (Gateway API wildcards take
// any number of labels), readiness failover (a Gateway API backend without endpoints keeps its share and
// answers 503), and automated rollouts, which stay on the Ingress until moved by hand.

import type { ObjectRef } from '../objects/diagnostics.js';
import type { KubeObject, Service } from '../objects/kube.js';
import { namespaceOf } from '../objects/kube.js';
import type { Backend, Condition, RoutingModel, SplitGroup } from '../model/types.js';
import { quoteRegex } from '../model/regex.js';
import { GATEWAY_GROUP } from '../objects/gateway-api.js';
import { DEFAULT_CONTROLLER_NAME } from './build.js';
import { byKey } from '../order.js';
import { pushAll } from '../lists.js';
import { ROLLOUT } from '../model/annotations.js';

export interface ToGatewayOptions {
  gatewayName: string;
  /** Where the Gateway goes; by default the namespace of the Ingresses when they share one, else `default`. */
  gatewayNamespace?: string;
  gatewayClassName: string;
  controllerName?: string;
}

// Listener ports 80 and 443 are served on the Ingress ports (--http-port, --https-port), where the node's
// ports 80 and 443 lead: the converted routes are reached where the Ingresses were.
const HTTP_PORT = 80;
const HTTPS_PORT = 443;

export interface Conversion {
  objects: Array<Record<string, unknown>>;
  /** What could not be said in Gateway API, by Ingress. */
  warnings: Array<{ object: ObjectRef; message: string }>;
  /** Ingresses the routes come from. */
  sources: ObjectRef[];
}

type Json = Record<string, unknown>;

export function ingressesToGatewayApi(
  model: RoutingModel,
  objects: ReadonlyMap<string, KubeObject>,
  services: readonly Service[],
  options: ToGatewayOptions,
): Conversion {
  const warnings: Conversion['warnings'] = [];
  const ingresses = [...objects.values()].filter((o) => o.kind === 'Ingress');
  const namespaces = [...new Set(ingresses.map(namespaceOf))];
  const gatewayNamespace = options.gatewayNamespace ?? (namespaces.length === 1 ? namespaces[0]! : 'default');
  const routeOptions = { ...options, gatewayNamespace };
  const warn = (object: ObjectRef, message: string) => {
    if (!warnings.some((w) => w.object.name === object.name && w.object.namespace === object.namespace && w.message === message))
      warnings.push({ object, message });
  };

  // Listeners: HTTP for every host, HTTPS for each host with a certificate.
  const listeners: Json[] = [{ name: 'http', port: HTTP_PORT, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }];
  const grants = new Map<string, Json>();
  const httpsSection = new Map<string, string>();
  model.tlsHosts.forEach((tls, i) => {
    const [namespace = '', name = ''] = tls.secret.split('/');
    const section = `https-${i}`;
    httpsSection.set(tls.host, section);
    const ref: Json = { kind: 'Secret', name };
    if (namespace !== gatewayNamespace) {
      ref.namespace = namespace;
      grants.set(namespace, referenceGrant(namespace, gatewayNamespace, options.gatewayName));
    }
    listeners.push({
      name: section,
      hostname: tls.host,
      port: HTTPS_PORT,
      protocol: 'HTTPS',
      tls: { mode: 'Terminate', certificateRefs: [ref] },
      allowedRoutes: { namespaces: { from: 'All' } },
    });
  });

  for (const ingress of ingresses)
    if (ingress.metadata.annotations?.[ROLLOUT] !== undefined)
      warn(
        { kind: 'Ingress', namespace: namespaceOf(ingress), name: ingress.metadata.name },
        `${ROLLOUT} is not carried over: move the automated rollout to the HTTPRoute by hand once the Ingress is gone, so two rollouts never drive one version`,
      );
  const routes: Json[] = [];
  const sources = new Map<string, ObjectRef>();
  for (const vhost of model.virtualHosts) {
    const bySource = new Map<string, SplitGroup[]>();
    for (const group of vhost.groups) {
      const key = `${group.source.namespace}/${group.source.name}`;
      bySource.set(key, [...(bySource.get(key) ?? []), group]);
      sources.set(key, group.source);
    }
    if (vhost.host.startsWith('*.') && vhost.groups.length > 0)
      warn(
        vhost.groups[0]!.source,
        `the wildcard host ${vhost.host} takes one label in an Ingress and any number of labels in Gateway API; the HTTPRoute takes more hosts than the Ingress did`,
      );
    let first = true;
    for (const groups of bySource.values()) {
      const source = groups[0]!.source;
      const rules: Json[] = [];
      const redirects: Json[] = [];
      for (const group of groups) {
        const rule = groupRules(group, services, warn);
        pushAll(rules, rule);
        if (group.redirectToHttps) redirects.push({ matches: [pathMatch(group)], filters: [HTTPS_REDIRECT] });
      }
      // The default backend takes what no path of the host matches; a host with `/` leaves it nothing.
      const coversAll = vhost.groups.some((g) => g.path === '/' && g.pathType !== 'Exact');
      if (first && vhost.defaultBackend && !coversAll)
        pushAll(rules, groupRules({ ...vhost.defaultBackend, path: '/', pathType: 'Prefix', rules: [] }, services, warn));
      first = false;
      const base = routeName(source.name, vhost.host);
      const hostnames = vhost.host === '*' ? [] : [vhost.host];
      const https = httpsSection.get(vhost.host);
      if (redirects.length > 0 && https) {
        // Plain HTTP is redirected; the HTTPS listener serves the split.
        routes.push(httpRoute(base, source.namespace!, hostnames, [{ sectionName: 'http' }], redirects, routeOptions));
        routes.push(httpRoute(`${base}-https`, source.namespace!, hostnames, [{ sectionName: https }], rules, routeOptions));
      } else
        routes.push(
          httpRoute(
            base,
            source.namespace!,
            hostnames,
            https ? [{ sectionName: 'http' }, { sectionName: https }] : [{ sectionName: 'http' }],
            rules,
            routeOptions,
          ),
        );
    }
    // A host only the default backend serves (the `*` host of an Ingress with only a default backend).
    if (vhost.groups.length === 0 && vhost.defaultBackend) {
      const source = vhost.defaultBackend.source;
      sources.set(`${source.namespace}/${source.name}`, source);
      const hostnames = vhost.host === '*' ? [] : [vhost.host];
      routes.push(
        httpRoute(
          routeName(source.name, vhost.host),
          source.namespace!,
          hostnames,
          [{ sectionName: 'http' }],
          groupRules({ ...vhost.defaultBackend, path: '/', pathType: 'Prefix', rules: [] }, services, warn),
          routeOptions,
        ),
      );
    }
  }
  const gateway: Json = {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name: options.gatewayName, namespace: gatewayNamespace },
    spec: { gatewayClassName: options.gatewayClassName, listeners },
  };
  const gatewayClass: Json = {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'GatewayClass',
    metadata: { name: options.gatewayClassName },
    spec: { controllerName: options.controllerName ?? DEFAULT_CONTROLLER_NAME },
  };
  return {
    objects: [gatewayClass, gateway, ...[...grants.values()], ...routes.sort(byKey((r) => `${(r.metadata as Json).namespace}/${(r.metadata as Json).name}`))],
    warnings,
    sources: [...sources.values()],
  };
}

/** The weighted rule of a group, after its header, cookie and query rules. */
function groupRules(group: SplitGroup, services: readonly Service[], warn: (o: ObjectRef, m: string) => void): Json[] {
  if (group.sticky)
    warn(
      group.source,
      `the sticky cookie ${group.sticky.cookie} is not expressible in the Gateway API standard channel (session persistence is experimental); each request is split by weight`,
    );
  const rules: Json[] = [];
  for (const rule of group.rules) {
    const refs = rule.targets
      .map((t) => backendRef(group.backends[t.backend]!, t.basisPoints, group, services, warn))
      .filter((r): r is Json => r !== undefined);
    rules.push({ matches: [{ ...pathMatch(group), ...conditionMatches(rule.conditions) }], backendRefs: refs });
  }
  const refs = group.backends.map((b) => backendRef(b, b.declaredBasisPoints, group, services, warn)).filter((r): r is Json => r !== undefined);
  rules.push({ matches: [pathMatch(group)], backendRefs: refs });
  return rules;
}

function pathMatch(group: Pick<SplitGroup, 'path' | 'pathType'>): Json {
  if (group.pathType === 'Exact') return { path: { type: 'Exact', value: group.path } };
  if (group.pathType === 'Prefix' || group.path === '/') return { path: { type: 'PathPrefix', value: group.path.replace(/(.)\/+$/, '$1') } };
  // ImplementationSpecific is a plain string prefix here: /foo also takes /foobar, which PathPrefix does not.
  return { path: { type: 'RegularExpression', value: `${quoteRegex(group.path)}.*` } };
}

function conditionMatches(conditions: readonly Condition[]): Json {
  const out: Json = {};
  const entry = (c: Condition) =>
    c.regex !== undefined ? { type: 'RegularExpression', name: c.name, value: c.regex } : { type: 'Exact', name: c.name, value: c.exact ?? '' };
  const headers = conditions.filter((c) => c.kind === 'header').map(entry);
  const query = conditions.filter((c) => c.kind === 'query').map(entry);
  if (headers.length > 0) out.headers = headers;
  if (query.length > 0) out.queryParams = query;
  return out;
}

function backendRef(
  backend: Backend,
  weight: number,
  group: SplitGroup,
  services: readonly Service[],
  warn: (o: ObjectRef, m: string) => void,
): Json | undefined {
  const namespace = backend.namespace ?? group.source.namespace ?? 'default';
  let port: number | undefined = typeof backend.port === 'number' ? backend.port : undefined;
  if (port === undefined && backend.cluster) port = Number(backend.cluster.split('/')[2]);
  if (port === undefined && typeof backend.port === 'string') {
    const service = services.find((s) => s.metadata.name === backend.service && namespaceOf(s) === namespace);
    port = service?.spec?.ports?.find((p) => p.name === backend.port)?.port;
  }
  if (port === undefined) {
    warn(
      group.source,
      `the port ${JSON.stringify(backend.port)} of Service ${namespace}/${backend.service} cannot be turned into a number without the Service; that backend is left out`,
    );
    return undefined;
  }
  const ref: Json = { name: backend.service, port, weight };
  if (namespace !== group.source.namespace) ref.namespace = namespace;
  return ref;
}

/** To HTTPS on the well-known port, as the Ingress redirect sends clients to the node's port 443. */
const HTTPS_REDIRECT: Json = { type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } };

function httpRoute(
  name: string,
  namespace: string,
  hostnames: string[],
  sections: Json[],
  rules: Json[],
  options: ToGatewayOptions & { gatewayNamespace: string },
): Json {
  const parent = (section: Json): Json => ({
    name: options.gatewayName,
    ...(options.gatewayNamespace === namespace ? {} : { namespace: options.gatewayNamespace }),
    ...section,
  });
  const spec: Json = hostnames.length > 0 ? { parentRefs: sections.map(parent), hostnames, rules } : { parentRefs: sections.map(parent), rules };
  return { apiVersion: `${GATEWAY_GROUP}/v1`, kind: 'HTTPRoute', metadata: { name, namespace }, spec };
}

function routeName(ingress: string, host: string): string {
  const slug = host === '*' ? 'any-host' : host.replace(/^\*\./, 'wildcard.').replace(/[^a-z0-9.-]/g, '-');
  return `${ingress}-${slug}`.slice(0, 253).replace(/[-.]+$/, '');
}

function referenceGrant(namespace: string, gatewayNamespace: string, gatewayName: string): Json {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1beta1`,
    kind: 'ReferenceGrant',
    metadata: { name: `${gatewayName}-certificates`, namespace },
    spec: { from: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace: gatewayNamespace }], to: [{ group: '', kind: 'Secret' }] },
  };
}
