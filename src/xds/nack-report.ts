// A NACK as the server reports it to whoever judges it (nack/refusals.ts): what was refused, by whom,
// what that client runs and subscribes to.

import type { TypeUrl } from '../proto/type-urls.js';
import type { RoutingView } from '../snapshot/snapshot.js';

export interface NackReport {
  typeUrl: TypeUrl;
  /** The version refused. */
  version: string;
  /** The version the client still runs, if it ever accepted one. */
  running: string | undefined;
  message: string;
  node: string;
  stream: number;
  /** Other streams that accepted this very version. */
  acceptedElsewhere: number;
  /** How the refusing client takes its routes: the view of the snapshot its versions belong to. */
  view: RoutingView;
  /** Whether the refusing client subscribed to a resource of the type: only those may be blamed. */
  subscribed(name: string): boolean;
}
