// What the dashboard's data call answers, from the rollout, the fleet and the diagnostics.

import { expect } from 'chai';
import { PROXIES_SHOWN, dashboardData } from '../../src/admin/dashboard-data.js';
import type { Diagnostic } from '../../src/objects/diagnostics.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { proxyStatus } from '../support/fixtures.js';

function group(host: string, path: string, applied: number, connected: number): GroupRollout {
  return {
    ingress: 'default/echo',
    host,
    path,
    pathType: 'Prefix',
    weights: `${host}${path} (Prefix): old-nginx 50% / new-nginx 50%`,
    backends: [
      { service: 'old-nginx', cluster: 'default/old-nginx/80', basisPoints: 5000, ready: true },
      { service: 'new-nginx', cluster: 'default/new-nginx/80', basisPoints: 5000, ready: true },
    ],
    rules: [],
    versions: { whole: 'w', perHost: null, grpc: null },
    applied,
    connected,
    text: '',
  };
}

const diagnostic = (severity: Diagnostic['severity']): Diagnostic => ({
  severity,
  object: { kind: 'Ingress', namespace: 'default', name: 'echo' },
  field: 'f',
  message: 'm',
});

describe('admin: dashboard data', () => {
  it('groups paths by host, in the rollout order', () => {
    const data = dashboardData({
      rollout: [group('a.io', '/', 1, 2), group('b.io', '/', 2, 2), group('a.io', '/api', 2, 2)],
      clients: [],
      diagnostics: [],
      notReady: undefined,
    });
    expect(data.hosts.map((h) => [h.host, h.paths.map((p) => p.path)])).to.deep.equal([
      ['a.io', ['/', '/api']],
      ['b.io', ['/']],
    ]);
    expect(data.notReady).to.equal(null);
  });

  it('lists the fleet worst first (NACKED, STALE, SYNCED), counts every state, and names what a proxy refused', () => {
    const nacked = proxyStatus('n', 'NACKED', {
      RDS: { state: 'NACKED', sent: { version: 'v2', nonce: '3' }, acked: 'v1', lastNack: { version: 'v2', message: 'route: unknown cluster', at: '' } },
    });
    const data = dashboardData({ rollout: [], clients: [proxyStatus('b', 'SYNCED'), proxyStatus('a', 'STALE'), nacked], diagnostics: [], notReady: undefined });
    expect(data.fleet.shown.map((p) => [p.node, p.state])).to.deep.equal([
      ['n', 'NACKED'],
      ['a', 'STALE'],
      ['b', 'SYNCED'],
    ]);
    expect(data.fleet.byState).to.deep.equal({ NACKED: 1, STALE: 1, SYNCED: 1 });
    expect(data.fleet.shown[0]!.nack).to.equal('RDS: route: unknown cluster');
    expect(data.fleet.shown[0]).to.not.have.property('types');
  });

  it(`shows at most ${PROXIES_SHOWN} proxies of a large fleet, and counts them all`, () => {
    const clients = Array.from({ length: 1000 }, (_, i) => proxyStatus(`envoy-${String(i).padStart(4, '0')}`, i === 999 ? 'NACKED' : 'SYNCED'));
    const data = dashboardData({ rollout: [], clients, diagnostics: [], notReady: undefined });
    expect(data.fleet.total).to.equal(1000);
    expect(data.fleet.shown).to.have.length(PROXIES_SHOWN);
    expect(data.fleet.shown[0]!.node).to.equal('envoy-0999');
  });

  it('counts diagnostics by severity and says when it is not ready', () => {
    const data = dashboardData({
      rollout: [],
      clients: [],
      diagnostics: [diagnostic('error'), diagnostic('warning'), diagnostic('warning')],
      notReady: 'no snapshot',
    });
    expect(data.diagnostics.bySeverity).to.deep.equal({ error: 1, warning: 2, info: 0 });
    expect(data.diagnostics.shown).to.have.length(3);
    expect(data.notReady).to.equal('no snapshot');
  });
});
