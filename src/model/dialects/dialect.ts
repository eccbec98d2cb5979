// What a dialect is to the planner. Each dialect file exports one Dialect: the annotations it owns
// (so the unknown-annotation check knows them) and how it reads them. dialects/index.ts lists them,
// and the planner loops over that list: adding a dialect is adding its file and a line to the list.

import type { Diagnostic, DiagnosticSink } from '../../objects/diagnostics.js';
import type { Result } from '../../objects/result.js';
import type { CanaryConfig } from './canary.js';
import type { Condition, Sticky } from '../types.js';
import type { RolloutSpec } from '../../rollout/spec.js';

export type Annotations = Readonly<Record<string, string>>;

/** A split group as dialects see it: a label for messages and its backends' Services in manifest order. */
export interface GroupView {
  /** e.g. `mini-echo.io/ (Prefix)`. */
  label: string;
  services: readonly string[];
}

/** One group's weights from a dialect. */
export interface GroupWeights {
  /** Basis points per backend, summing to 10000. */
  declared: number[];
  /** Requests meeting `condition` go to backend `backend` (an index into the group's backends). */
  rules: Array<{ condition: Condition; backend: number; reason: string }>;
  /** The annotation that set the weights, for "two dialects on one path" messages elsewhere. */
  weightedBy?: string;
}

/** A weight dialect's reading of one main Ingress: which groups it weighs, and how. */
export interface WeightReading {
  /** How "already has weights from …" names this dialect. */
  source: string;
  /** Checks the whole Ingress once (e.g. names of Services that are no backend); false on error. */
  prepare(groups: readonly GroupView[], sink: DiagnosticSink): boolean;
  /** The annotation field by which this dialect weighs `group`; undefined when it does not. */
  claim(group: GroupView): string | undefined;
  /** The weights of a group it claims; a failure carries the errors (also reported in `sink`). */
  weigh(group: GroupView, sink: DiagnosticSink): Result<GroupWeights, Diagnostic>;
}

/** Ingress-wide settings a dialect can give. */
export interface IngressSettings {
  canary: CanaryConfig;
  sticky: Sticky;
  sslRedirect: boolean;
  rollout: RolloutSpec;
}

export interface Dialect {
  /** For messages and the docs, e.g. `ingress-nginx canary`. */
  name: string;
  /** The annotation keys it reads. */
  keys: readonly string[];
  /** Key prefixes it owns, e.g. `ingress.aliyun.weight/`. */
  prefixes?: readonly string[];
  /** Ingress-wide settings from its annotations (none when it has nothing to say); errors also go to `sink`. */
  settings?(annotations: Annotations, sink: DiagnosticSink): Result<Partial<IngressSettings>, Diagnostic>;
  /** Its reading of a main Ingress's weights: undefined when it has no annotations there. */
  weights?(annotations: Annotations, sink: DiagnosticSink): Result<WeightReading | undefined, Diagnostic>;
}

/** Whether a dialect owns an annotation key. */
export function owns(dialect: Dialect, key: string): boolean {
  return dialect.keys.includes(key) || (dialect.prefixes ?? []).some((p) => key.startsWith(p));
}
