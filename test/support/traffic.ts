// Requests that keep flowing while a test changes the configuration, to prove none fails.

import { get } from '../../src/local/http.js';

/**
 * Traffic that flows while a test changes configuration: requests in a loop until stopped, bounded by
 * `maxRequests` and `maxMs` so it always ends. Every non-200 answer or error is kept.
 */
export function steadyTraffic(port: number, host: string, options: { maxRequests?: number; maxMs?: number; concurrency?: number } = {}) {
  const { maxRequests = 50_000, maxMs = 60_000, concurrency = 4 } = options;
  const started = Date.now();
  let stopped = false;
  let requests = 0;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  const worker = async () => {
    while (!stopped && requests < maxRequests && Date.now() - started < maxMs) {
      requests++;
      try {
        const r = await get(port, host);
        if (r.status !== 200) failures.push(`status ${r.status}: ${r.body}`);
        else bodies.set(r.body, (bodies.get(r.body) ?? 0) + 1);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    async stop() {
      stopped = true;
      await done;
      return { requests, failures, bodies };
    },
  };
}
