#!/usr/bin/env node
// Entry point: flags → app; stops cleanly on SIGINT/SIGTERM.

import { ConfigError, parseArgs } from './config.js';
import { startApp } from './app.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Asked-for help goes to stdout with success; a mistake goes to stderr with the usage after it.
      if (error.message.startsWith('usage:')) {
        process.stdout.write(error.message + '\n');
        process.exit(0);
      }
      process.stderr.write(error.message + '\n');
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const app = await startApp(config, log);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'splitplane could not start', error: error instanceof Error ? error.message : String(error) }) + '\n');
  process.exit(1);
});
