import { expect } from 'chai';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, DEFAULTS, defaultStateDir, parseArgs } from '../src/config.js';

describe('config', () => {
  it('defaults: the embedded example, xDS 0.0.0.0:18000, admin 127.0.0.1:19000, Envoy HTTP 8080', () => {
    const c = parseArgs([]);
    expect(c).to.deep.equal(DEFAULTS);
    expect(c.manifests.endsWith(path.join('deploy', 'examples', 'blue-green'))).to.equal(true);
    expect([c.xdsHost, c.xdsPort, c.adminHost, c.adminPort, c.httpPort, c.httpsPort, c.ingressClass]).to.deep.equal([
      '0.0.0.0',
      18000,
      '127.0.0.1',
      19000,
      8080,
      8443,
      'splitplane',
    ]);
  });

  it('keeps rollout state under XDG_STATE_HOME, else ~/.local/state, unless --state-dir says where', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/x' })).to.equal('/x/splitplane');
    expect(defaultStateDir({ HOME: '/home/u' })).to.equal('/home/u/.local/state/splitplane');
    expect(() => parseArgs(['--load-report-interval-ms', '100'])).to.throw(ConfigError, /outside 500 to 60000/);
  });

  it('reads every flag, as "--flag value" or "--flag=value"', () => {
    const c = parseArgs([
      '--manifests',
      '/tmp/m',
      '--xds-port=1',
      '--admin-port',
      '2',
      '--http-port',
      '3',
      '--https-port=4',
      '--https-redirect-port',
      '443',
      '--ingress-class',
      'x',
      '--gateway-controller-name',
      'example.com/gateways',
      '--log-level',
      'debug',
      '--xds-host',
      '::1',
      '--admin-host',
      '0.0.0.0',
      '--max-file-bytes',
      '1000',
      '--insecure-xds',
      '--rebuild-holdoff-ms',
      '0',
      '--rebuild-max-ms=200',
      '--max-streams-per-peer',
      '5000',
      '--load-report-interval-ms',
      '1000',
      '--state-dir',
      '/tmp/s',
      '--max-load-reports-per-second=50',
    ]);
    expect(c).to.deep.equal({
      manifests: '/tmp/m',
      xdsPort: 1,
      adminPort: 2,
      httpPort: 3,
      httpsPort: 4,
      httpsRedirectPort: 443,
      ingressClass: 'x',
      gatewayControllerName: 'example.com/gateways',
      logLevel: 'debug',
      xdsHost: '::1',
      adminHost: '0.0.0.0',
      maxFileBytes: 1000,
      insecureXds: true,
      source: 'file',
      leaderElect: false,
      rebuildHoldoffMs: 0,
      rebuildMaxMs: 200,
      maxStreamsPerPeer: 5000,
      loadReportIntervalMs: 1000,
      stateDir: '/tmp/s',
      maxLoadReportsPerSecond: 50,
    });
    expect(() => parseArgs(['--rebuild-holdoff-ms', '600'])).to.throw(ConfigError, /below --rebuild-holdoff-ms/);
  });

  it('the source: kube inside a pod or with --kubeconfig, unless a folder is named; file elsewhere', () => {
    expect(parseArgs([]).source).to.equal('file');
    expect(parseArgs([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).source).to.equal('kube');
    expect(parseArgs(['--kubeconfig', '/k']).source).to.equal('kube');
    expect(parseArgs(['--manifests', '/m'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).source).to.equal('file');
    expect(parseArgs(['--source', 'kube', '--namespace', 'shop', '--kubeconfig', '/k'])).to.include({ source: 'kube', namespace: 'shop' });
    expect(() => parseArgs(['--source', 'kube'], {})).to.throw(
      ConfigError,
      /outside a pod needs a kubeconfig: --kubeconfig FILE, \$KUBECONFIG or ~\/.kube\/config/,
    );
    // As kubectl: $KUBECONFIG, else ~/.kube/config.
    expect(parseArgs(['--source', 'kube'], { KUBECONFIG: '/a:/b' }).source).to.equal('kube');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-home-'));
    fs.mkdirSync(path.join(home, '.kube'));
    fs.writeFileSync(path.join(home, '.kube', 'config'), '');
    expect(parseArgs(['--source', 'kube'], { HOME: home }).source).to.equal('kube');
    fs.rmSync(home, { recursive: true, force: true });
    expect(() => parseArgs(['--source', 'etcd'])).to.throw(ConfigError, /not file or kube/);
    expect(() => parseArgs(['--source', 'kube', '--kubeconfig', '/k', '--namespace', 'Bad_NS'])).to.throw(ConfigError, /not a namespace name/);
  });

  it('reads the xDS TLS files as a set of three', () => {
    const c = parseArgs(['--xds-tls-cert', '/c/server.crt', '--xds-tls-key=/c/server.key', '--xds-client-ca', '/c/ca.crt']);
    expect(c.xdsTls).to.deep.equal({ cert: '/c/server.crt', key: '/c/server.key', clientCa: '/c/ca.crt' });
    expect(() => parseArgs(['--xds-tls-cert', '/c/server.crt'])).to.throw(ConfigError, /go together.*certgen/);
  });

  const bad: Array<[string[], RegExp]> = [
    [['--xds-port', 'abc'], /--xds-port "abc" is not a port number/],
    [['--http-port', '0'], /--http-port "0" is not a port number/],
    [['--admin-port', '70000'], /not a port number/],
    [['--manifests'], /--manifests needs a value/],
    [['--bogus'], /unknown flag "--bogus"/],
    [['--log-level', 'loud'], /not one of debug, info, warn, error/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')} with a message that says what to write`, () => {
      expect(() => parseArgs(argv)).to.throw(ConfigError, message);
    });
  }

  it('--help prints the usage', () => {
    expect(() => parseArgs(['--help'])).to.throw(ConfigError, /^usage: splitplane/);
  });
});
