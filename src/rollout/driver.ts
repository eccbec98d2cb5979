// Runs the automated rollouts: finds the groups a `splitplane.io/rollout` annotation covers, keeps
// each one's state (machine.ts) where it survives restarts (state-store.ts), gives the rebuild the
// weights to serve (apply.ts), and every report interval looks at the fleet and the traffic and moves
// the state on. Only the leader moves states and writes them; every replica serves the stored states,
// so all replicas serve the same weights.

import { groupKey } from '../fleet/report.js';
import { rolloutGroups } from './groups.js';
import type { GroupRollout } from '../fleet/rollout.js';
import type { Logger } from '../log.js';
import { ROLLOUT } from '../model/annotations.js';
import type { RoutingModel, SplitGroup } from '../model/types.js';
import { annotationField, type Diagnostic, type ObjectRef } from '../objects/diagnostics.js';
import { declaredText, targetIndex, type RolloutWeight } from './apply.js';
import { advance, servedWeight, startState, type Command, type Notice, type RolloutState, type WindowFigures } from './machine.js';
import { specText, type RolloutSpec } from './spec.js';
import type { RolloutStateStore, StoredRollout } from './state-store.js';

/** What a tick looks at. */
export interface RolloutInputs {
  /** The model being served (with the rollouts' weights). */
  published(): RoutingModel | undefined;
  /** Per group, how many proxies of the whole fleet run its current weights. */
  fleet(): readonly GroupRollout[];
  /** The pooled figures of some clusters over (from, to], from the proxies holding the host's routes. */
  figures(host: string, clusters: readonly string[], from: number, to: number): WindowFigures;
  /** Load reports taken so far: a tick with none new looks at the same window again. */
  reportsTaken(): number;
}

export interface RolloutDriverOptions {
  reportIntervalMs: number;
  /** Whether this replica moves and writes rollouts (always in file mode; the Lease holder in kube mode). */
  leader(): boolean;
  now?: () => number;
  /** Something for people: a log line, and an Event on the Ingress in kube mode. */
  notice?(ingress: ObjectRef, notice: Notice): void;
  /** The weights to serve changed: rebuild. */
  changed(): void;
}

/** One group under a rollout, as the last rebuild found it. */
interface ActiveRollout {
  key: string;
  host: string;
  /** The Ingress carrying the annotation. */
  ingress: ObjectRef;
  spec: RolloutSpec;
  /** The group's declared weights (before the rollout's). */
  declared: string;
  target: string | null;
  stable: string[];
}

export interface RolloutStatus {
  group: string;
  ingress: string;
  version: string;
  spec: string;
  phase: RolloutState['phase'];
  /** 1-based step, of steps. */
  step: number;
  steps: number;
  /** The weight the version is served at, in basis points (null: the declared weights, paused by an edit). */
  basisPoints: number | null;
  reason: string;
  since: string;
}

const KEY_SEPARATOR = '/';
const PROGRESS = 'rollout on ';

/** A diagnostic saying where a rollout stands (not a problem with the input): its Events say it already. */
export function isRolloutProgress(d: Diagnostic): boolean {
  return d.field === annotationField(ROLLOUT) && d.message.startsWith(PROGRESS);
}

/** `<namespace>/<name>` of an Ingress; a route's is prefixed with its kind (`HTTPRoute/<namespace>/<name>`). */
function ingressKey(ref: ObjectRef): string {
  const key = `${ref.namespace ?? 'default'}${KEY_SEPARATOR}${ref.name}`;
  return ref.kind === 'Ingress' || ref.kind === undefined ? key : `${ref.kind}${KEY_SEPARATOR}${key}`;
}

export class RolloutDriver {
  private readonly states = new Map<string, StoredRollout>();
  private active = new Map<string, ActiveRollout>();
  private readonly commands = new Map<string, Command>();
  private problems: Diagnostic[] = [];
  private lastReports = -1;
  /** Whether the stored states have been taken in (a store read from the API server loads later). */
  private initialized: boolean;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private readonly now: () => number;

  constructor(
    private readonly store: RolloutStateStore,
    private readonly options: RolloutDriverOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
    for (const [key, stored] of store.states()) this.states.set(key, stored);
    this.initialized = store.loaded();
    store.onChange?.(() => this.adopt());
  }

  /** Why the first build must wait: a rollout must not start over before its saved state is read. */
  notReady(): string | undefined {
    return this.store.loaded() ? undefined : `rollout state (${this.store.where})`;
  }

  /**
   * At each rebuild, from the model built from the manifests: the groups under a rollout and the weight
   * each serves. A new rollout starts here, so its first step is what the very first build serves.
   */
  weights(model: RoutingModel, specOf: (ingress: string) => RolloutSpec | undefined): Map<string, RolloutWeight> {
    const now = this.now();
    const out = new Map<string, RolloutWeight>();
    const active = new Map<string, ActiveRollout>();
    const problems: Diagnostic[] = [];
    let dirty = false;
    // Ingress paths and Gateway API rules alike: each is a split group to the rollout.
    for (const group of rolloutGroups(model)) {
      {
        const found = this.rolloutOf(group, specOf);
        if (!found) continue;
        const key = groupKey(group);
        const field = annotationField(ROLLOUT);
        const tooShort = (['interval', 'window'] as const).find(
          (k) => (k === 'interval' ? found.spec.intervalMs : found.spec.windowMs) < this.options.reportIntervalMs,
        );
        if (tooShort) {
          const previous = this.active.get(key);
          problems.push({
            severity: 'error',
            object: found.ingress,
            field,
            message: `${tooShort} is shorter than the proxies' report interval (${this.options.reportIntervalMs / 1000}s, --load-report-interval-ms): a step would be judged on no report; ${previous ? 'the rollout goes on with its last valid spec' : 'the rollout does not start and the weights stay as declared'}`,
          });
          if (!previous) continue;
          found.spec = previous.spec;
        }
        // The last valid spec may grow a version this group no longer has: then there is nothing to roll out.
        const target = group.backends[targetIndex(group, found.spec.version)];
        if (!target) continue;
        const entry: ActiveRollout = {
          key,
          host: group.host,
          ingress: found.ingress,
          spec: found.spec,
          declared: declaredText(group),
          target: target.cluster,
          stable: group.backends.filter((b) => b !== target && b.cluster !== null && b.service !== target.service).map((b) => b.cluster!),
        };
        active.set(key, entry);
        let stored = this.states.get(key);
        if (!stored || stored.state.spec !== found.spec.text) {
          stored = { group: key, ingress: ingressKey(found.ingress), state: startState(found.spec, entry.declared, now) };
          this.states.set(key, stored);
          dirty = true;
          if (this.options.leader())
            this.tell(found.ingress, {
              type: 'Normal',
              reason: 'RolloutStarted',
              message: `rollout of ${found.spec.version} started at ${found.spec.steps[0]! / 100}% (${key})`,
            });
        }
        const weight = servedWeight(found.spec, stored.state);
        if (weight !== 'declared') out.set(key, { version: found.spec.version, basisPoints: weight });
        problems.push(this.diagnostic(entry, stored.state));
      }
    }
    // A rollout whose annotation is gone (or whose group is) ends: the manifest says what to serve.
    for (const key of [...this.states.keys()]) {
      if (!active.has(key)) {
        this.states.delete(key);
        dirty = true;
      }
    }
    this.active = active;
    this.problems = problems;
    if (dirty) this.save();
    return out;
  }

  /** Every report interval: each rollout looks at its proxies and traffic and moves on (leader only). */
  tick(inputs: RolloutInputs): void {
    if (!this.options.leader() || this.active.size === 0) {
      this.lastReports = inputs.reportsTaken();
      return;
    }
    const now = this.now();
    const reports = inputs.reportsTaken();
    const fresh = reports !== this.lastReports;
    this.lastReports = reports;
    const published = inputs.published();
    const fleet = new Map(inputs.fleet().map((g) => [groupKey(g), g]));
    const served = new Map<string, SplitGroup>();
    for (const g of published ? rolloutGroups(published) : []) served.set(groupKey(g), g);
    let changed = false;
    let dirty = false;
    for (const entry of this.active.values()) {
      const stored = this.states.get(entry.key);
      if (!stored) continue;
      const before = stored.state;
      const weight = servedWeight(entry.spec, before);
      // The step counts once the served model has its weight and every proxy runs it.
      const group = served.get(entry.key);
      const index = group ? targetIndex(group, entry.spec.version) : -1;
      const inModel = weight === 'declared' || (index >= 0 && group!.backends[index]!.declaredBasisPoints === weight);
      const truth = fleet.get(entry.key);
      const applied = inModel && truth !== undefined && truth.connected > 0 && truth.applied === truth.connected;
      const from = Math.max(before.appliedAt ?? now, now - entry.spec.windowMs);
      const none: WindowFigures = { considered: 0, counted: 0, successRate: null, p99Ms: null };
      const decision = advance(entry.spec, before, {
        now,
        declared: entry.declared,
        applied,
        connected: truth?.connected ?? 0,
        target: entry.target && before.appliedAt !== null ? inputs.figures(entry.host, [entry.target], from, now) : none,
        stable: before.appliedAt !== null ? inputs.figures(entry.host, entry.stable, from, now) : none,
        fresh,
        command: this.takeCommand(stored.ingress),
      });
      stored.state = decision.state;
      // A new phase or step is saved and rebuilt (its weights, its diagnostic); the reason alone is
      // read live by the status views.
      if (decision.state.phase !== before.phase || decision.state.step !== before.step || decision.state.pausedBy !== before.pausedBy) {
        dirty = true;
        changed = true;
      }
      if (decision.notice) this.tell(entry.ingress, decision.notice);
    }
    // Commands for Ingresses without a rollout are dropped: the CLI already said there is none.
    this.commands.clear();
    if (dirty) this.save();
    if (changed) this.options.changed();
  }

  /**
   * `splitplane rollout pause|resume|abort|promote`: carried out at the next tick by the leader.
   * Returns the groups it applies to (none: there is no rollout on that Ingress).
   */
  command(ingress: string, command: Command): string[] {
    const groups = [...this.active.values()].filter((a) => ingressKey(a.ingress) === ingress).map((a) => a.key);
    if (groups.length > 0) this.commands.set(ingress, command);
    return groups;
  }

  /** Each rollout's phase and step, for /debug/rollouts, the dashboard and `splitplane status`. */
  status(): RolloutStatus[] {
    return [...this.active.values()].flatMap((a) => {
      const stored = this.states.get(a.key);
      if (!stored) return [];
      const weight = servedWeight(a.spec, stored.state);
      return [
        {
          group: a.key,
          ingress: ingressKey(a.ingress),
          version: a.spec.version,
          spec: specText(a.spec),
          phase: stored.state.phase,
          step: stored.state.step + 1,
          steps: a.spec.steps.length,
          basisPoints: weight === 'declared' ? null : weight,
          reason: stored.state.reason,
          since: new Date(stored.state.since).toISOString(),
        },
      ];
    });
  }

  diagnostics(): readonly Diagnostic[] {
    return this.problems;
  }

  /** The stored states were read for the first time, or the leader wrote new ones: serve them. */
  private adopt(): void {
    if (this.options.leader() && this.initialized) return;
    this.initialized = true;
    this.states.clear();
    for (const [key, stored] of this.store.states()) this.states.set(key, stored);
    this.options.changed();
  }

  private takeCommand(ingress: string): Command | undefined {
    return this.commands.get(ingress);
  }

  private rolloutOf(group: SplitGroup, specOf: (ingress: string) => RolloutSpec | undefined): { spec: RolloutSpec; ingress: ObjectRef } | undefined {
    const main = specOf(ingressKey(group.source));
    if (main && group.backends.some((b) => !b.canaryOf && b.service === main.version)) return { spec: main, ingress: group.source };
    for (const b of group.backends) {
      if (!b.canaryOf) continue;
      const spec = specOf(ingressKey(b.canaryOf));
      if (spec && spec.version === b.service) return { spec, ingress: b.canaryOf };
    }
    return undefined;
  }

  private diagnostic(entry: ActiveRollout, state: RolloutState): Diagnostic {
    const at = `${entry.spec.steps[Math.min(state.step, entry.spec.steps.length - 1)]! / 100}%`;
    const where = `${PROGRESS}${entry.key.split(' ').slice(0, 2).join('')}`;
    const base = { object: entry.ingress, field: annotationField(ROLLOUT) };
    switch (state.phase) {
      case 'aborted':
        return { ...base, severity: 'warning', message: `${where}: ${state.reason}` };
      case 'paused':
        return { ...base, severity: 'warning', message: `${where}: ${state.reason}` };
      case 'complete':
        return { ...base, severity: 'info', message: `${where}: ${state.reason}` };
      default:
        return {
          ...base,
          severity: 'info',
          message: `${where}: ${entry.spec.version} at ${at}, step ${state.step + 1} of ${entry.spec.steps.length}`,
        };
    }
  }

  private tell(ingress: ObjectRef, notice: Notice): void {
    const fields = { ingress: ingressKey(ingress), reason: notice.reason, message: notice.message };
    if (notice.type === 'Warning') this.log.warn('rollout', fields);
    else this.log.info('rollout', fields);
    this.options.notice?.(ingress, notice);
  }

  /** Writes the states; one write at a time, the latest states winning. */
  private save(): void {
    if (!this.options.leader()) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    const snapshot = new Map(this.states);
    this.saving = this.store
      .save(snapshot)
      .catch((error: unknown) =>
        this.log.error('rollout state not saved; it is tried again on the next change', { where: this.store.where, error: String(error) }),
      )
      .finally(() => {
        this.saving = undefined;
        if (this.saveAgain) {
          this.saveAgain = false;
          this.save();
        }
      });
  }

  /** Waits for pending writes (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }
}
