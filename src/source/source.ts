// Where the objects come from: a folder of manifests or a Kubernetes API server. The app wires one of
// them; nothing else knows which.

import type { Diagnostic } from '../objects/diagnostics.js';

export interface Source {
  /** Starts reading into the store; `changed` is called whenever the store changed. */
  start(changed: () => void): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Problems with the source itself or its inputs that are not about one object (a file, a watch). */
  diagnostics(): Diagnostic[];
  /** Why the source is not ready yet (the initial read or list is not complete), or undefined when it is. */
  notReady(): string | undefined;
}
