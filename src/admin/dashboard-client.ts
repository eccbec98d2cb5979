/// <reference lib="dom" />
// The dashboard's script, run in the browser (served as /dashboard.js). It polls /debug/dashboard once a
// second and redraws the page. Every string comes from user input somewhere (an Ingress name, an
// annotation quoted in a diagnostic, a node id a proxy chose), so the page is built with DOM nodes and
// textContent only: nothing it shows is ever parsed as HTML.

import type { DashboardData, DashboardPath, DashboardProxy } from './dashboard-data.js';
import type { VersionTraffic } from '../traffic/figures.js';
import type { Diagnostic } from '../objects/diagnostics.js';

const REFRESH_MS = 1000;

type Child = Node | string | null | undefined | false;

function el(tag: string, attributes: Record<string, string> = {}, ...children: Array<Child | readonly Child[]>): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  // A list of children is passed as one array (never spread: a fleet may have thousands of rows).
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

// As kube/split-summary.ts writes it; the browser script imports nothing at run time, so it has its own.
function percent(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

// As traffic/figures.ts formats it; the browser script imports nothing at run time, so it has its own.
function rate(r: number): string {
  return r === 1 ? '100%' : `${Math.floor(r * 10000) / 100}%`;
}

/** Each version's live traffic, from the proxies' load reports: requests/s, success, in flight. */
function versionTraffic(v: VersionTraffic | undefined): HTMLElement | string {
  if (!v) return '';
  const success = v.successRate === null ? 'no requests' : `${rate(v.successRate)} ok`;
  const p99 = v.p99Ms === null ? '' : ` · p99 ${Math.round(v.p99Ms)} ms`;
  return el(
    'span',
    {
      class: `live${v.successRate !== null && v.successRate < 0.99 ? ' failing' : ''}`,
      'data-rps': String(v.requestsPerSecond),
      'data-success': v.successRate === null ? '' : String(v.successRate),
      'data-in-flight': String(v.inFlight),
    },
    ` — ${v.requestsPerSecond} req/s · ${success} · ${v.inFlight} in flight${p99}`,
  );
}

/** The automated rollout of a path: its phase, its step, and why. */
function rolloutView(group: DashboardPath): HTMLElement | null {
  const r = group.rollout;
  if (!r) return null;
  const weight = r.basisPoints === null ? 'the declared weights' : percent(r.basisPoints);
  return el(
    'div',
    { class: `rollout ${r.phase}`, 'data-phase': r.phase, 'data-step': String(r.step) },
    el('span', { class: 'phase' }, r.phase),
    ` step ${r.step} of ${r.steps}: ${r.version} at ${weight} — ${r.reason}`,
  );
}

function pathView(group: DashboardPath): HTMLElement {
  const live = group.backends.filter((b) => b.basisPoints > 0);
  const bar = el('div', { class: 'bar', role: 'img', 'aria-label': group.weights });
  group.backends.forEach((b, i) => {
    if (b.basisPoints === 0) return;
    const segment = el(
      'div',
      { class: `segment c${i % 6}`, 'data-backend': b.service, 'data-percent': String(b.basisPoints / 100), title: `${b.service} ${percent(b.basisPoints)}` },
      b.basisPoints >= 1200 ? `${b.service} ${percent(b.basisPoints)}` : '',
    );
    segment.style.width = `${b.basisPoints / 100}%`;
    bar.append(segment);
  });
  if (live.length === 0) bar.append(el('div', { class: 'segment none' }, 'no backend can be resolved: requests get 503'));
  const legend = el('ul', { class: 'legend' });
  group.backends.forEach((b, i) =>
    legend.append(
      el(
        'li',
        { 'data-backend': b.service, 'data-percent': String(b.basisPoints / 100) },
        el('span', { class: `swatch c${i % 6}` }),
        `${b.service} ${percent(b.basisPoints)}`,
        b.ready ? '' : ' (not ready)',
        versionTraffic(group.traffic?.find((t) => t.service === b.service && t.cluster === b.cluster)),
      ),
    ),
  );
  const complete = group.connected > 0 && group.applied === group.connected;
  const applied = el(
    'span',
    { class: `applied ${complete ? 'ok' : 'pending'}`, 'data-applied': String(group.applied), 'data-connected': String(group.connected) },
    group.connected === 0 ? 'no proxy connected' : `applied to ${group.applied} of ${count(group.connected, 'connected proxy', 'connected proxies')}`,
  );
  // The route versions carrying these weights: what `applied` was counted against.
  const carried = [
    ['RDS', group.versions.whole],
    ['VHDS', group.versions.perHost],
    ['gRPC RDS', group.versions.grpc],
  ].filter((v): v is [string, string] => v[1] !== null);
  const version = el(
    'span',
    { class: 'version', title: carried.map(([type, v]) => `${type} ${v}`).join(', ') },
    carried.length > 0 ? `at version ${carried[0]![1].slice(0, 8)}` : '',
  );
  const rules =
    group.rules.length > 0
      ? el(
          'ul',
          { class: 'rules' },
          group.rules.map((r) => el('li', {}, r)),
        )
      : null;
  return el(
    'div',
    { class: 'path', 'data-path': group.path, 'data-path-type': group.pathType, 'data-ingress': group.ingress },
    el(
      'div',
      { class: 'path-head' },
      el('span', { class: 'path-name' }, `${group.path} (${group.pathType})`),
      // Which object wrote the split: an Ingress (the default), or an HTTPRoute or GRPCRoute, named as such.
      el('span', { class: 'ingress' }, group.kind && group.kind !== 'Ingress' ? `${group.kind} ${group.ingress}` : group.ingress),
      applied,
      version,
    ),
    rolloutView(group),
    bar,
    legend,
    rules,
  );
}

function trafficView(data: DashboardData): HTMLElement {
  if (data.hosts.length === 0) return el('p', { class: 'empty' }, 'No Ingress is served yet.');
  return el(
    'div',
    {},
    data.hosts.map((h) =>
      el('section', { class: 'host', 'data-host': h.host }, el('h3', {}, h.host === '*' ? '* (rules without a host)' : h.host), h.paths.map(pathView)),
    ),
  );
}

function proxyRow(p: DashboardProxy): HTMLElement {
  return el(
    'tr',
    { 'data-node': p.node, 'data-state': p.state },
    el('td', {}, p.node),
    el('td', {}, p.kind),
    el('td', {}, p.userAgent),
    el('td', {}, p.protocol === 'delta' ? 'Delta' : 'SotW'),
    el('td', {}, el('span', { class: `state ${p.state.toLowerCase()}` }, p.state)),
    el('td', {}, new Date(p.connectedSince).toLocaleTimeString()),
    el('td', { class: 'nack' }, p.nack ?? ''),
  );
}

function fleetView(data: DashboardData): HTMLElement {
  const { total, byState, shown } = data.fleet;
  const summary = el(
    'p',
    { class: 'summary' },
    `${count(total, 'proxy', 'proxies')} connected: ${byState.SYNCED} SYNCED, ${byState.STALE} STALE, ${byState.NACKED} NACKED`,
    shown.length < total ? ` (showing ${shown.length}, worst first)` : '',
  );
  if (total === 0) return el('div', {}, summary);
  const head = el(
    'tr',
    {},
    ['node', 'kind', 'version', 'protocol', 'state', 'connected since', 'last NACK'].map((h) => el('th', {}, h)),
  );
  return el('div', {}, summary, el('table', { class: 'fleet' }, el('thead', {}, head), el('tbody', {}, shown.map(proxyRow))));
}

function diagnosticRow(d: Diagnostic): HTMLElement {
  const object = `${d.object.kind} ${d.object.namespace ? `${d.object.namespace}/` : ''}${d.object.name}`;
  return el(
    'tr',
    { class: d.severity, 'data-severity': d.severity },
    el('td', {}, el('span', { class: `severity ${d.severity}` }, d.severity)),
    el('td', {}, object),
    el('td', { class: 'field' }, d.field),
    el('td', { class: 'message' }, d.message),
  );
}

function diagnosticsView(data: DashboardData): HTMLElement {
  const { total, bySeverity, shown } = data.diagnostics;
  if (total === 0) return el('p', { class: 'empty' }, 'No problem found in the inputs.');
  const summary = el(
    'p',
    { class: 'summary' },
    `${count(bySeverity.error, 'error')}, ${count(bySeverity.warning, 'warning')}, ${count(bySeverity.info, 'info', 'info')}`,
    shown.length < total ? ` (showing ${shown.length})` : '',
  );
  const head = el(
    'tr',
    {},
    ['severity', 'object', 'field', 'message'].map((h) => el('th', {}, h)),
  );
  return el('div', {}, summary, el('table', { class: 'diagnostics' }, el('thead', {}, head), el('tbody', {}, shown.map(diagnosticRow))));
}

function gatewaysView(data: DashboardData): HTMLElement {
  if (data.gateways.length === 0) return el('p', { class: 'empty' }, 'No Gateway API object of ours.');
  return el(
    'table',
    { class: 'gateways' },
    el(
      'tbody',
      {},
      data.gateways.map((g) => el('tr', {}, el('td', {}, g.object), el('td', { class: 'message' }, g.conditions.join('; ')))),
    ),
  );
}

function replace(id: string, content: HTMLElement): void {
  document.getElementById(id)?.replaceChildren(content);
}

function setStatus(text: string, problem: boolean): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.className = problem ? 'problem' : '';
}

let rendered = '';

async function refresh(): Promise<void> {
  try {
    const response = await fetch('/debug/dashboard', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    const data = JSON.parse(text) as DashboardData;
    // Redraw only when something changed, so a selection or a hover survives a quiet second.
    const { generatedAt: _generatedAt, ...content } = data;
    const key = JSON.stringify(content);
    if (key !== rendered) {
      replace('traffic', trafficView(data));
      replace('fleet', fleetView(data));
      replace('diagnostics', diagnosticsView(data));
      replace('gateways', gatewaysView(data));
      rendered = key;
    }
    document.body.dataset.updated = data.generatedAt;
    setStatus(data.notReady ? `not ready: ${data.notReady}` : `live, updated ${new Date(data.generatedAt).toLocaleTimeString()}`, data.notReady !== null);
  } catch (error) {
    setStatus(`cannot reach splitplane (${error instanceof Error ? error.message : String(error)}); retrying every second`, true);
  } finally {
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

void refresh();
