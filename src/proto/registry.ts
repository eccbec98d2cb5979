// Envoy's API types, loaded at run time from the .proto files shipped in the @grpc/grpc-js-xds package
// (its deps/ folder), so no third-party .proto is ever copied into this repository.
// Field names are kept as written in the .proto files (snake_case), as in Envoy's docs and YAML.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

const ENTRY_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
];

export function protoIncludeDirs(): string[] {
  const xdsPackage = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const protobufjsPackage = path.dirname(require.resolve('protobufjs/package.json'));
  const deps = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xdsPackage, 'deps', d));
  // protobufjs ships google/protobuf/descriptor.proto, which the validation annotations import.
  return [...deps, protobufjsPackage];
}

let cached: protobuf.Root | undefined;

// Proto JSON writes wrapper types (google.protobuf.UInt32Value and friends) as the bare value, as
// Envoy's own config dump does; protobufjs does not, so we teach it before any type is loaded.
const WRAPPERS = ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'];
function registerWrapperTypes(): void {
  for (const name of WRAPPERS) {
    protobuf.wrappers[`.google.protobuf.${name}`] = {
      fromObject(this: protobuf.Type, object: { [k: string]: unknown }) {
        const isWrapped = typeof object === 'object' && object !== null && !(object instanceof Uint8Array) && 'value' in object;
        return this.fromObject(isWrapped ? object : { value: object });
      },
      toObject(this: protobuf.Type, message: protobuf.Message, options?: protobuf.IConversionOptions) {
        const plain = this.toObject(message, { ...options, defaults: true }) as { value: unknown };
        return (options?.json ? plain.value : plain) as { [k: string]: unknown };
      },
    };
  }
}

/** The loaded, resolved root; loading takes about two seconds, so it happens once per process. */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const dirs = protoIncludeDirs();
  const missing = dirs.filter((d) => !fs.existsSync(d));
  if (missing.length > 0) {
    throw new Error(`Envoy API protos not found in ${missing.join(', ')}: run "npm install" (they come from the @grpc/grpc-js-xds package)`);
  }
  registerWrapperTypes();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target)) return target;
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(ENTRY_FILES, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export function messageType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}

/** Options that turn a decoded message into the JSON Envoy's own config dump would show. */
export const JSON_OPTIONS: protobuf.IConversionOptions = { json: true, enums: String, longs: String, bytes: String, defaults: false };
