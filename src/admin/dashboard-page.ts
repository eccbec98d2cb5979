// The dashboard at GET / on the admin port: a static page, its stylesheet and its script (compiled from
// dashboard-client.ts), all served from this process. Nothing comes from elsewhere, so it works on the
// default loopback bind with no network, and a strict Content-Security-Policy allows only these three
// files and the data call: even a string that slipped past escaping could run nothing.

import fs from 'node:fs';

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>splitplane</title>
<link rel="icon" href="/favicon.svg">
<link rel="stylesheet" href="/dashboard.css">
<script type="module" src="/dashboard.js"></script>
</head>
<body>
<header>
  <h1>splitplane</h1>
  <span id="status">loading…</span>
  <nav><a href="/debug">debug endpoints</a> · <a href="/metrics">metrics</a></nav>
</header>
<main>
  <h2>Traffic</h2>
  <p class="hint">Each host and path, its weights, and how many connected proxies run them (from their ACKs).</p>
  <div id="traffic"></div>
  <h2>Proxies</h2>
  <div id="fleet"></div>
  <h2>Diagnostics</h2>
  <div id="diagnostics"></div>
  <h2>Gateway API</h2>
  <p class="hint">Each GatewayClass, Gateway and route of ours, with the status conditions the leader writes.</p>
  <div id="gateways"></div>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { --fg: #1d2329; --muted: #5f6b76; --line: #d9dee3; --bg: #f6f7f9; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1.5em; padding: 0.8em 1.5em; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.3em; margin: 0; }
header nav { margin-left: auto; color: var(--muted); }
#status { color: var(--ok); }
#status.problem { color: var(--bad); font-weight: 600; }
main { padding: 0.5em 1.5em 2em; max-width: 1200px; }
h2 { font-size: 1.1em; margin: 1.4em 0 0.3em; }
.hint, .summary, .empty { color: var(--muted); margin: 0.2em 0 0.6em; }
.host { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.6em 1em; margin: 0.6em 0; }
.host h3 { margin: 0 0 0.4em; font-size: 1em; }
.path { margin: 0.5em 0 0.8em; }
.path-head { display: flex; gap: 1em; align-items: baseline; }
.path-name { font-family: ui-monospace, monospace; font-weight: 600; }
.ingress { color: var(--muted); }
.applied { margin-left: auto; font-weight: 600; }
.applied.ok { color: var(--ok); }
.applied.pending { color: var(--warn); }
.version { color: var(--muted); font-family: ui-monospace, monospace; font-size: 0.85em; }
.bar { display: flex; height: 1.8em; margin: 0.3em 0; border-radius: 4px; overflow: hidden; background: #eceff2; }
.segment { display: flex; align-items: center; justify-content: center; overflow: hidden; white-space: nowrap; color: #fff; font-size: 0.85em; font-weight: 600; transition: width 0.4s; }
.segment.none { width: 100%; color: var(--bad); background: #fff0f0; }
.c0 { background: #57606a; } .c1 { background: #0969da; } .c2 { background: #8250df; } .c3 { background: #bf3989; } .c4 { background: #1a7f37; } .c5 { background: #bc4c00; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 1.2em; padding: 0; margin: 0; color: var(--muted); }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 0.35em; vertical-align: -0.05em; }
.rules { margin: 0.3em 0 0; padding-left: 1.2em; color: var(--muted); font-size: 0.9em; }
.live { color: var(--fg); font-variant-numeric: tabular-nums; }
.live.failing { color: var(--bad); font-weight: 600; }
.rollout { margin: 0.3em 0; padding: 0.25em 0.6em; border-radius: 4px; background: #f0f6ff; }
.rollout .phase { font-weight: 700; text-transform: uppercase; margin-right: 0.3em; }
.rollout.aborted { background: #fff0f0; color: var(--bad); }
.rollout.paused { background: #fff8e5; }
.rollout.complete { background: #effaf1; color: var(--ok); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f2f4; font-weight: 600; }
td.field, td.nack { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
td.message { word-break: break-word; }
.state, .severity { font-weight: 600; }
.state.synced { color: var(--ok); } .state.stale { color: var(--warn); } .state.nacked { color: var(--bad); }
.severity.error { color: var(--bad); } .severity.warning { color: var(--warn); } .severity.info { color: var(--muted); }
`;

/** Two bars splitting one: the page's icon, so the browser does not ask for a /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="2" width="14" height="5" rx="1" fill="#57606a"/><rect x="1" y="9" width="7" height="5" rx="1" fill="#57606a"/><rect x="8" y="9" width="7" height="5" rx="1" fill="#0969da"/></svg>`;

/**
 * Strict: scripts, styles and fetches from this origin only, no inline script, no frames, no forms.
 * Styles set from the script (a bar's width) go through the CSSOM, which the policy does not block.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let script: string | undefined;

/** The compiled dashboard-client.js, beside this file in dist/, without its source map comment. */
export function dashboardScript(): string {
  script ??= fs.readFileSync(new URL('./dashboard-client.js', import.meta.url), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  return script;
}
