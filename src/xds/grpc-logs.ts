import * as grpc from '@grpc/grpc-js';
import { format } from 'node:util';
import type { Logger } from '../log.js';

// grpc-js prints its own lines (`E No address added out of total 1 resolved`) straight to stderr;
// they are folded into the structured log instead, so every line of splitplane's output is JSON.
export function useStructuredGrpcLogs(log: Logger): void {
  const write =
    (level: 'debug' | 'info' | 'error') =>
    (message?: unknown, ...rest: unknown[]) =>
      // eslint-disable-next-line no-restricted-syntax -- grpc-js's own few arguments
      log[level]('grpc-js', { message: format(message, ...rest) });
  grpc.setLogger({ error: write('error'), info: write('info'), debug: write('debug') } as unknown as Partial<Console>);
}
