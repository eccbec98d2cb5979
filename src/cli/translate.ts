// `splitplane translate`: what splitplane would serve for some manifests, without a server. Prints the
// Envoy resources and the diagnostics (YAML or JSON), or, with --diff OLD NEW, how a change moves
// traffic per host and path. Exits 1 when the manifests have errors, so it can gate `kubectl apply` in CI.

import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import { eachFlag } from '../flags.js';
import { buildModel } from '../model/build.js';
import { DEFAULT_CONTROLLER_NAME, gatewayObjects } from '../gateway/build.js';
import { statusDocument } from '../gateway/status-view.js';
import { ingressesToGatewayApi } from '../gateway/from-ingress.js';
import { isRelevant } from '../store/store.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from '../objects/kube.js';
import { PUSH_ORDER, SHORT_NAME } from '../proto/type-urls.js';
import { translate } from '../resources/translate.js';
import { listManifests } from '../source/listing.js';
import { parseManifests } from '../source/manifests.js';
import { trafficChanges } from './traffic-diff.js';
import { pushAll } from '../lists.js';
import { readRegularFile } from '../source/read-file.js';
import { DEFAULT_MAX_FILE_BYTES } from '../source/file-options.js';

export const TRANSLATE_USAGE = `usage: splitplane translate -f FILE|DIR [-f FILE|DIR ...] [-o yaml|json] [flags]
       splitplane translate --diff OLD NEW    (OLD and NEW are files or folders of manifests)
       splitplane translate --to-gateway-api -f FILE|DIR [...]
Prints the Envoy resources splitplane would serve for the manifests, and every diagnostic; exits 1 when
any manifest has an error, 2 on a usage error. --diff prints how traffic moves per host and path.
--to-gateway-api prints a Gateway and HTTPRoutes that splitplane serves as it serves the annotated
Ingresses; what Gateway API cannot say is a comment in the output and a warning on stderr.
  -f, --filename PATH    a manifest file or a folder of them (YAML or JSON; repeatable)
  -o, --output FORMAT    yaml (default) or json
  --ingress-class NAME   the IngressClass to serve (default splitplane)
  --http-port N          port of Envoy's HTTP listener (default 8080)
  --https-port N         port of Envoy's HTTPS listener (default 8443)
  --max-file-bytes N     files larger than this are not read (default 4 MiB); only regular files are read
  --gateway-name NAME    --to-gateway-api: the Gateway's name (default splitplane)
  --gateway-namespace NS --to-gateway-api: its namespace (default: the Ingresses' one if they share it, else default)
  --gateway-class NAME   --to-gateway-api: its GatewayClass (default splitplane)
  -h, --help             this text`;

export class TranslateUsageError extends Error {}

export interface TranslateOptions {
  files: string[];
  output: 'yaml' | 'json';
  diff?: [string, string];
  ingressClass: string;
  gatewayControllerName?: string;
  httpPort: number;
  httpsPort: number;
  /** Files larger than this are not read, as in the server (--max-file-bytes). */
  maxFileBytes: number;
  /** --to-gateway-api: print Gateway API objects equivalent to the Ingresses. */
  toGatewayApi?: { gatewayName: string; gatewayNamespace?: string; gatewayClassName: string };
}

export function parseTranslateArgs(argv: readonly string[]): TranslateOptions {
  const options: TranslateOptions = {
    files: [],
    output: 'yaml',
    ingressClass: 'splitplane',
    httpPort: 8080,
    httpsPort: 8443,
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  };
  const missing = (flag: string) => new TranslateUsageError(`${flag} needs a value\n${TRANSLATE_USAGE}`);
  const port = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new TranslateUsageError(`${flag} ${JSON.stringify(text)} is not a port (1-65535)`);
    return n;
  };
  const rest: string[] = [];
  eachFlag(argv, missing, (flag, value, arg) => {
    switch (flag) {
      case '-h':
      case '--help':
        throw new TranslateUsageError(TRANSLATE_USAGE);
      case '-f':
      case '--filename':
        options.files.push(value());
        break;
      case '-o':
      case '--output': {
        const format = value();
        if (format !== 'yaml' && format !== 'json') throw new TranslateUsageError(`--output ${JSON.stringify(format)}: use yaml or json`);
        options.output = format;
        break;
      }
      case '--ingress-class':
        options.ingressClass = value();
        break;
      case '--http-port':
        options.httpPort = port(flag, value());
        break;
      case '--https-port':
        options.httpsPort = port(flag, value());
        break;
      case '--max-file-bytes': {
        const text = value();
        const n = Number(text);
        if (!Number.isSafeInteger(n) || n < 1) throw new TranslateUsageError(`--max-file-bytes ${JSON.stringify(text)} is not a positive number of bytes`);
        options.maxFileBytes = n;
        break;
      }
      case '--diff':
        options.diff = ['', ''];
        break;
      case '--to-gateway-api':
        options.toGatewayApi ??= { gatewayName: 'splitplane', gatewayClassName: 'splitplane' };
        break;
      case '--gateway-name':
        (options.toGatewayApi ??= { gatewayName: 'splitplane', gatewayClassName: 'splitplane' }).gatewayName = value();
        break;
      case '--gateway-namespace':
        (options.toGatewayApi ??= { gatewayName: 'splitplane', gatewayClassName: 'splitplane' }).gatewayNamespace = value();
        break;
      case '--gateway-class':
        (options.toGatewayApi ??= { gatewayName: 'splitplane', gatewayClassName: 'splitplane' }).gatewayClassName = value();
        break;
      default:
        if (arg.startsWith('-')) throw new TranslateUsageError(`unknown flag ${arg}\n${TRANSLATE_USAGE}`);
        rest.push(arg);
    }
  });
  if (options.diff) {
    if (rest.length !== 2 || options.files.length > 0) throw new TranslateUsageError(`--diff takes two paths, OLD and NEW\n${TRANSLATE_USAGE}`);
    options.diff = [rest[0]!, rest[1]!];
  } else {
    pushAll(options.files, rest);
    if (options.files.length === 0) throw new TranslateUsageError(`name the manifests with -f FILE|DIR\n${TRANSLATE_USAGE}`);
  }
  return options;
}

/** What a set of manifests gives: the model, its diagnostics (reading and building) and the resources. */
export function translateManifests(
  paths: readonly string[],
  options: Pick<TranslateOptions, 'ingressClass' | 'httpPort' | 'httpsPort'> & Partial<Pick<TranslateOptions, 'maxFileBytes' | 'gatewayControllerName'>>,
) {
  const { objects, diagnostics: read } = readManifests(paths, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  const relevant = objects.filter(isRelevant);
  const of = <T extends KubeObject>(kind: string) => relevant.filter((o) => o.kind === kind) as T[];
  const built = buildModel({
    ingresses: of<Ingress>('Ingress'),
    services: of<Service>('Service'),
    endpointSlices: of<EndpointSlice>('EndpointSlice'),
    ingressClasses: of<IngressClass>('IngressClass'),
    secrets: of<Secret>('Secret'),
    ingressClass: options.ingressClass,
    gateway: {
      ...gatewayObjects(of),
      controllerName: options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME,
      ingressPorts: { http: options.httpPort, https: options.httpsPort },
    },
  });
  const resources = translate(built.model, {
    http: { address: '0.0.0.0', port: options.httpPort },
    https: { address: '0.0.0.0', port: options.httpsPort },
  });
  return {
    model: built.model,
    diagnostics: [...read, ...built.diagnostics],
    resources,
    gatewayStatuses: built.gatewayStatuses,
    accepted: built.accepted,
    services: of<Service>('Service'),
  };
}

/** Reads files and folders of manifests (a folder as the file source reads it: *.yaml, *.yml, *.json). */
function readManifests(paths: readonly string[], maxFileBytes: number): { objects: KubeObject[]; diagnostics: Diagnostic[] } {
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const unreadable = (name: string, message: string) => diagnostics.push({ severity: 'error', object: { kind: 'File', name }, field: 'file', message });
  for (const given of paths) {
    let files: string[];
    try {
      if (fs.statSync(given).isDirectory()) {
        const listed = listManifests(given);
        if (!listed.ok) {
          unreadable(given, listed.diagnostics.join('; '));
          continue;
        }
        files = listed.value.files.map(([full]) => full);
      } else files = [given];
    } catch (error) {
      unreadable(given, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      continue;
    }
    for (const file of files) {
      // The server's reader: regular files only (a FIFO would hang, /dev/zero never end), up to a size.
      const read = readRegularFile(file, maxFileBytes);
      if (read.kind !== 'read') {
        unreadable(file, read.kind === 'refused' ? read.reason.replace(/; its previous contents stay in force$/, '') : 'cannot be read: it is gone');
        continue;
      }
      const parsed = parseManifests(read.text, path.relative(process.cwd(), file) || file);
      pushAll(objects, parsed.objects);
      pushAll(diagnostics, parsed.diagnostics);
    }
  }
  return { objects, diagnostics };
}

export function describeDiagnostic(d: Diagnostic): string {
  const object = `${d.object.kind} ${d.object.namespace ? `${d.object.namespace}/` : ''}${d.object.name}`;
  return `${d.severity}: ${object}: ${d.field}: ${d.message}`;
}

/** Runs the command; returns the exit code. Output goes to `out`, nothing to stderr but usage errors. */
export function runTranslate(options: TranslateOptions, out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (options.diff) {
    const [oldPaths, newPaths] = options.diff;
    const before = translateManifests([oldPaths], options);
    const after = translateManifests([newPaths], options);
    const errors = after.diagnostics.filter((d) => d.severity === 'error');
    const lines = trafficChanges(before.model, after.model);
    out(lines.length > 0 ? `${lines.join('\n')}\n` : 'no traffic moves\n');
    for (const d of errors) out(`${describeDiagnostic(d)}\n`);
    return errors.length > 0 ? 1 : 0;
  }
  if (options.toGatewayApi) return runToGatewayApi(options, out, err);
  const { diagnostics, resources, gatewayStatuses } = translateManifests(options.files, options);
  const byType: Record<string, unknown> = {};
  for (const typeUrl of PUSH_ORDER) {
    const list = resources[typeUrl] ?? [];
    if (list.length > 0) byType[SHORT_NAME[typeUrl]] = list.map((r) => r.body);
  }
  const document: Record<string, unknown> = { diagnostics: diagnostics.map(describeDiagnostic) };
  // The status the leader would write on each Gateway API object, as kubectl would show it.
  const status = gatewayStatuses ? statusDocument(gatewayStatuses) : [];
  if (status.length > 0) document.gatewayStatus = status;
  document.resources = byType;
  out(options.output === 'json' ? `${JSON.stringify(document, null, 2)}\n` : dump(document, { noRefs: true, lineWidth: -1 }));
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** --to-gateway-api: the Gateway API objects, with what they cannot say as comments (and on stderr). */
function runToGatewayApi(options: TranslateOptions, out: (text: string) => void, err: (text: string) => void): number {
  const built = translateManifests(options.files, options);
  const errors = built.diagnostics.filter((d) => d.severity === 'error');
  const conversion = ingressesToGatewayApi(built.model, built.accepted, built.services, {
    ...options.toGatewayApi!,
    ...(options.gatewayControllerName ? { controllerName: options.gatewayControllerName } : {}),
  });
  const header = [
    `# Gateway API objects equivalent to ${conversion.sources.map((s) => `Ingress ${s.namespace}/${s.name}`).join(', ') || 'no Ingress'},`,
    '# generated by `splitplane translate --to-gateway-api`. splitplane serves them as it serves the Ingresses:',
    '# apply them, check `kubectl get httproute`, then delete the Ingresses. One difference it cannot remove:',
    '# a Gateway API backend without ready endpoints keeps its share (503), an Ingress version gives it away.',
    ...conversion.warnings.map((w) => `# warning: Ingress ${w.object.namespace}/${w.object.name}: ${w.message}`),
    ...errors.map((d) => `# error (not converted, fix it first): ${describeDiagnostic(d)}`),
  ];
  for (const w of conversion.warnings) err(`warning: Ingress ${w.object.namespace}/${w.object.name}: ${w.message}\n`);
  for (const d of errors) err(`${describeDiagnostic(d)}\n`);
  if (options.output === 'json') out(`${JSON.stringify({ warnings: header.slice(4), items: conversion.objects }, null, 2)}\n`);
  else out(`${header.join('\n')}\n${conversion.objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join('---\n')}`);
  return errors.length > 0 ? 1 : 0;
}
