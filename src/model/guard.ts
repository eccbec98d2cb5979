// One object's step of the build, guarded: an exception there is a bug of ours, and it must cost that
// object only.

import type { DiagnosticSink } from '../objects/diagnostics.js';

/**
 * Runs one object's step of the build. An exception is a bug of ours, but it must cost that object
 * only: it becomes an error on the object, and every other object keeps flowing.
 */
export function guard<T>(sink: DiagnosticSink, step: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    sink.error('metadata', `could not be ${step} (${reason.slice(0, 200)}); this is a splitplane bug, please report it with this message`);
    return undefined;
  }
}
