#!/usr/bin/env node
// Entry point: flags → app; stops cleanly on SIGINT/SIGTERM.

import { KubeConfig } from '@kubernetes/client-node';
import { CertgenError, certgen, makeCertificates, parseCertgenArgs } from './certgen/certgen.js';
import { applySecrets, writeSecretManifests } from './certgen/secrets.js';
import { KubeClient } from './kube/client.js';
import { ConfigError, parseArgs } from './config.js';
import { startApp } from './app.js';
import { createLogger } from './log.js';
import { TranslateUsageError, parseTranslateArgs, runTranslate } from './cli/translate.js';
import { StatusUsageError, parseStatusArgs, runStatus } from './cli/status.js';
import { RolloutUsageError, parseRolloutArgs, runRollout } from './cli/rollout.js';

async function main(): Promise<void> {
  if (process.argv[2] === 'certgen') return certgenCommand(process.argv.slice(3));
  if (process.argv[2] === 'translate') return translateCommand(process.argv.slice(3));
  if (process.argv[2] === 'status') return statusCommand(process.argv.slice(3));
  if (process.argv[2] === 'rollout') return rolloutCommand(process.argv.slice(3));
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

/**
 * A subcommand's flags; a usage error ends the process: asked-for help on stdout with success, a
 * mistake on stderr with status 2.
 */
function parsedOrExit<T>(parse: () => T, UsageError: new (message: string) => Error): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.message.startsWith('usage:');
    (help ? process.stdout : process.stderr).write(error.message + '\n');
    return process.exit(help ? 0 : 2);
  }
}

async function statusCommand(argv: string[]): Promise<void> {
  const options = parsedOrExit(() => parseStatusArgs(argv), StatusUsageError);
  process.exitCode = await runStatus(
    options,
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}

async function rolloutCommand(argv: string[]): Promise<void> {
  const options = parsedOrExit(() => parseRolloutArgs(argv), RolloutUsageError);
  process.exitCode = await runRollout(
    options,
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}

function translateCommand(argv: string[]): void {
  const options = parsedOrExit(() => parseTranslateArgs(argv), TranslateUsageError);
  process.exitCode = runTranslate(options, (text) => process.stdout.write(text));
}

async function certgenCommand(argv: string[]): Promise<void> {
  const options = parsedOrExit(() => parseCertgenArgs(argv), CertgenError);
  try {
    if (options.kube) {
      const config = new KubeConfig();
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
      else config.loadFromCluster();
      process.stdout.write(`${await applySecrets(new KubeClient(config), () => makeCertificates(options), options.namespace, options.force)}\n`);
    } else if (options.format === 'secrets') {
      const files = writeSecretManifests(await makeCertificates(options), options.namespace, options.out, options.force);
      process.stdout.write(`wrote ${files.join(', ')}\napply them with kubectl apply -f ${options.out}\n`);
    } else {
      const files = await certgen(options);
      process.stdout.write(
        `wrote ${files.join(', ')}\n` +
          `serve xDS with TLS: splitplane --xds-tls-cert ${files[2]} --xds-tls-key ${files[3]} --xds-client-ca ${files[0]}\n` +
          `give Envoy ${files[4]}, ${files[5]} and ${files[0]} (see envoy/bootstrap-tls.yaml)\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof CertgenError ? 2 : 1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    JSON.stringify({
      time: new Date().toISOString(),
      level: 'error',
      msg: 'splitplane could not start',
      error: error instanceof Error ? error.message : String(error),
    }) + '\n',
  );
  process.exit(1);
});
