// The running process as a whole: what only shows with every part started together.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../src/app.js';
import { freePort } from '../src/local/http.js';
import { waitFor } from '../src/local/wait.js';
import { createLogger } from '../src/log.js';
import { startSplitplane } from './support/splitplane.js';

describe('app', function () {
  this.timeout(60_000);
  let dir: string;
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The first build of a large folder holds the event loop for about a second while the file-events
  // probe waits: the probe must still see its event, or the folder is polled four times a second for
  // good (12 ms of CPU a second at rest with 2,000 files).
  it('a first build that holds the loop does not make the file source fall back to polling', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-app-'));
    for (let i = 0; i < 1000; i++) {
      fs.writeFileSync(
        path.join(dir, `app-${i}.yaml`),
        `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: app-${i}, annotations: { ingress.aliyun.weight/new-${i}: "10" } }
spec:
  ingressClassName: splitplane
  rules:
  - host: app-${i}.example
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: old-${i}, port: { number: 80 } } } }
      - { path: /, pathType: Prefix, backend: { service: { name: new-${i}, port: { number: 80 } } } }
---
apiVersion: v1
kind: Service
metadata: { name: old-${i} }
spec: { ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: new-${i} }
spec: { ports: [{ port: 80 }] }
`,
      );
    }
    const lines: string[] = [];
    app = await startSplitplane(
      dir,
      await freePort(),
      undefined,
      {},
      createLogger('info', {}, (line) => lines.push(line)),
    );
    await waitFor('the first build', () => app!.cache.current() !== undefined, 30_000);
    await waitFor('the probe to decide', () => lines.some((l) => l.includes('file events')), 10_000);
    const verdict = lines.filter((l) => l.includes('file events'));
    expect(verdict.join('\n')).to.contain('file events arrive').and.not.contain('do not arrive');
  });
});
