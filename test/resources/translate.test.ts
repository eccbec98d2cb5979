import { expect } from 'chai';
import { buildModel } from '../../src/model/build.js';
import { translate } from '../../src/resources/translate.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { ingress, blueGreenCluster } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

const options = { http: { address: '0.0.0.0', port: 8080 } };

function blueGreenModel(annotations: Record<string, string> = { 'ingress.aliyun.weight/new-nginx': '50' }) {
  return buildModel({
    ingresses: [ingress({ annotations, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] })],
    ...blueGreenCluster(),
    ingressClasses: [],
    ingressClass: 'splitplane',
  }).model;
}

describe('resources/translate', () => {
  it('gives one listener, one route configuration, and a cluster and endpoints per Service port', () => {
    const r = translate(blueGreenModel(), options);
    expect(r[LISTENER_TYPE].map((x) => x.name)).to.deep.equal(['ingress_http']);
    expect(r[ROUTE_TYPE].map((x) => x.name)).to.deep.equal(['ingress_http']);
    expect(r[CLUSTER_TYPE].map((x) => x.name)).to.deep.equal(['default/new-nginx/80', 'default/old-nginx/80']);
    expect(r[ENDPOINT_TYPE].map((x) => x.name)).to.deep.equal(['default/new-nginx/80', 'default/old-nginx/80']);
  });

  it('the listener binds the port it is told and routes by RDS over ADS, router last, host ports stripped', () => {
    const listener = translate(blueGreenModel(), { http: { address: '0.0.0.0', port: 18080 } })[LISTENER_TYPE][0]!.body as Json;
    expect(listener.address.socket_address).to.deep.equal({ address: '0.0.0.0', port_value: 18080 });
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    expect(hcm.rds).to.deep.equal({ route_config_name: 'ingress_http', config_source: { ads: {}, resource_api_version: 'V3' } });
    expect(hcm.strip_any_host_port).to.equal(true);
    expect(hcm.http_filters.at(-1).name).to.equal('envoy.filters.http.router');
  });

  it('redirects to HTTPS name the HTTPS listener port, or --https-redirect-port; none without an HTTPS listener', () => {
    const model = blueGreenModel();
    model.tlsHosts = [{ host: 'mini-echo.io', secret: 'default/echo' }];
    model.secrets = [{ name: 'default/echo', certificateChain: 'c', privateKey: 'k' }];
    model.virtualHosts[0]!.groups[0]!.redirectToHttps = true;
    const redirect = (o: Parameters<typeof translate>[1]) =>
      ((translate(model, o)[ROUTE_TYPE][0]!.body as Json).virtual_hosts[0].routes as Json[]).find((r) => r.redirect)?.redirect;
    expect(redirect({ ...options, https: { address: '0.0.0.0', port: 8443 } })).to.include({ port_redirect: 8443 });
    expect(redirect({ ...options, https: { address: '0.0.0.0', port: 8443 }, httpsRedirectPort: 443 })).to.deep.equal({
      https_redirect: true,
      response_code: 'PERMANENT_REDIRECT',
    });
    expect(redirect(options)).to.equal(undefined);
  });

  it('clusters are EDS over ADS; endpoints carry a locality weight', () => {
    const r = translate(blueGreenModel(), options);
    const cluster = r[CLUSTER_TYPE][0]!.body as Json;
    expect(cluster.type).to.equal('EDS');
    expect(cluster.eds_cluster_config).to.deep.equal({ eds_config: { ads: {}, resource_api_version: 'V3' } });
    const cla = r[ENDPOINT_TYPE][0]!.body as Json;
    expect(cla.endpoints[0].load_balancing_weight).to.deep.equal({ value: 1 });
    expect(cla.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: '10.0.0.2', port_value: 80 });
  });

  it('every resource encodes strictly (no field unknown to the Envoy API) into a consistent snapshot', () => {
    for (const annotations of [{} as Record<string, string>, { 'ingress.aliyun.weight/new-nginx': '50' }, { 'ingress.aliyun.weight/new-nginx': '100' }]) {
      const snapshot = Snapshot.fromResources(translate(blueGreenModel(annotations), options));
      expect(snapshot.problems()).to.deep.equal([]);
    }
  });

  it('is deterministic: the same model gives the same bytes', () => {
    const a = Snapshot.fromResources(translate(blueGreenModel(), options));
    const b = Snapshot.fromResources(translate(blueGreenModel(), options));
    for (const t of [LISTENER_TYPE, ROUTE_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE] as const) expect(a.version(t)).to.equal(b.version(t));
  });
});
