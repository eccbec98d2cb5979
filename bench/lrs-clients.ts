// A child process holding many proxies for the load-report benchmark: each has an ADS stream (its first
// request names the node, as Envoy's does) and a load reporting stream that sends, every interval the
// server asks for, what Envoy sends: its whole node (Envoy resends it in every report, about 60 KB with
// the list of extensions it was built with) and a ClusterStats for every cluster it has.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { encodeDiscoveryRequest } from '../src/xds/messages.js';
import { SOTW_METHOD_PATH } from '../src/xds/server.js';
import { LRS_METHOD_PATH } from '../src/traffic/load-reporting.js';
import { decodeLoadReportingAnswer } from '../src/traffic/lrs-messages.js';
import { LISTENER_TYPE } from '../src/proto/type-urls.js';

const [port, count, clusterList] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? ''];
const clusters = clusterList.split(',').filter(Boolean);
const send = (m: unknown) => process.send?.(m);

/** A node of Envoy 1.40's size: id, cluster, user agent, and some 500 extensions with their type URLs (61 KB, as Envoy 1.40 sends). */
function node(id: string): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(id);
  w.uint32((2 << 3) | 2).string('splitplane-ingress');
  w.uint32((6 << 3) | 2).string('envoy');
  for (let i = 0; i < 500; i++) {
    w.uint32((9 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(`envoy.filters.http.extension_number_${i}`);
    w.uint32((2 << 3) | 2).string('envoy.filters.http');
    w.uint32((4 << 3) | 2).string(`envoy.extensions.filters.http.extension_number_${i}.v3.Config`);
    w.ldelim();
  }
  return w.finish();
}

// ClusterStats per cluster: name, one locality with counts (the first two clusters), the interval.
function report(nodeBytes: Uint8Array): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).bytes(nodeBytes);
  clusters.forEach((cluster, i) => {
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(cluster);
    if (i < 2) {
      w.uint32((2 << 3) | 2).fork();
      w.uint32((2 << 3) | 0).uint64(40);
      w.uint32((4 << 3) | 0).uint64(1);
      w.uint32((8 << 3) | 0).uint64(41);
      w.ldelim();
    }
    w.uint32((4 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(2)
      .ldelim();
    w.ldelim();
  });
  return Buffer.from(w.finish());
}

// A few channels, as a fleet is many machines: each carries a share of the streams.
const channels = Array.from({ length: 16 }, () => new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
let answered = 0;
let bytesPerReport = 0;
for (let i = 0; i < count; i++) {
  const id = `envoy-${i}`;
  const channel = channels[i % channels.length]!;
  const ads = channel.makeBidiStreamRequest(
    SOTW_METHOD_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
  );
  ads.on('error', () => undefined);
  ads.on('data', () => undefined);
  ads.write(Buffer.from(encodeDiscoveryRequest({ node: { id, cluster: 'splitplane-ingress' }, type_url: LISTENER_TYPE, resource_names: [] })));
  const bytes = report(node(id));
  bytesPerReport = bytes.length;
  const lrs = channel.makeBidiStreamRequest(
    LRS_METHOD_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
  );
  lrs.on('error', (e: Error) => send({ kind: 'error', message: e.message }));
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  lrs.on('data', (b: Buffer) => {
    const interval = decodeLoadReportingAnswer(b).intervalMs;
    if (first) {
      first = false;
      if (++answered === count) send({ kind: 'ready', bytesPerReport });
    }
    // A new answer starts a new period at its interval, as Envoy does; spread over the interval, as a
    // fleet's reports are.
    clearTimeout(timer);
    clearInterval(timer);
    timer = setTimeout(() => {
      timer = setInterval(() => lrs.write(bytes), interval);
      lrs.write(bytes);
    }, Math.random() * interval);
  });
  lrs.write(report(node(id)));
}
process.on('message', (m: { kind: string }) => {
  if (m.kind === 'stop') process.exit(0);
});
