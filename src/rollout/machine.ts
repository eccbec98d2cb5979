// The rollout state machine. Pure: the spec, the last state and what is observed now (time, whether the
// proxies run the step's weights, the version's and the stable versions' figures, a manual edit, a
// command) go in; the next state, the weight the version gets and what to tell people come out. The
// driver (driver.ts) calls it every report interval and persists the state (state-store.ts).
//
// - A step starts counting when every connected proxy runs its weights; figures from before do not count.
// - A check is one look at the window: fewer than min-requests and it is not a check (the step is
//   held, saying so); otherwise it passes or fails. `threshold` failures in a row abort: all weight goes
//   back to the stable versions at once.
// - A step that has been served for `interval` and whose last check passed moves to the next; passing
//   the last step completes the rollout, which keeps serving the last step's weights until the manifest
//   says so itself.
// - Manual weights win: an edit of the declared weights pauses the rollout and serves them.

import type { RolloutSpec } from './spec.js';
import { formatRate } from '../traffic/figures.js';

export type Phase = 'progressing' | 'paused' | 'aborted' | 'complete';
export type Command = 'pause' | 'resume' | 'abort' | 'promote';

export interface RolloutState {
  /** The annotation text this state belongs to; a different text starts a new rollout. */
  spec: string;
  version: string;
  /** Index into spec.steps. */
  step: number;
  phase: Phase;
  /** Since when every connected proxy runs this step's weights (ms); null until then. */
  appliedAt: number | null;
  /** Failed checks in a row. */
  failedChecks: number;
  /** The declared weights when the rollout began or resumed: a change is a manual edit. */
  declared: string;
  /** Why it is paused, aborted or held, with the figures; what it did last otherwise. */
  reason: string;
  /** Paused by a person (`splitplane rollout pause`) or by a manual weight edit. */
  pausedBy?: 'command' | 'manual-edit';
  /** When the state last changed phase or step (ms). */
  since: number;
}

/** A version's figures over the check window (traffic/pool.ts). */
export interface WindowFigures {
  /** Requests after capping, every proxy's: what min-requests is checked on. */
  considered: number;
  counted: number;
  successRate: number | null;
  p99Ms: number | null;
}

export interface Observation {
  now: number;
  /** The group's declared weights now (from the manifest), as text. */
  declared: string;
  /** Whether every connected proxy runs the current step's weights. */
  applied: boolean;
  /** Proxies connected that take routes. */
  connected: number;
  /** The version's figures over the window since the step applied. */
  target: WindowFigures;
  /** The other versions', pooled. */
  stable: WindowFigures;
  /** Whether reports arrived since the last observation: a window looked at twice is one check. */
  fresh: boolean;
  command?: Command;
}

export interface Notice {
  type: 'Normal' | 'Warning';
  reason: 'RolloutStarted' | 'RolloutStepped' | 'RolloutHeld' | 'RolloutPaused' | 'RolloutResumed' | 'RolloutAborted' | 'RolloutFinished';
  message: string;
}

export interface Decision {
  state: RolloutState;
  /** What the version gets: basis points, or the declared weights (paused by a manual edit). */
  weight: number | 'declared';
  notice?: Notice;
}

export function startState(spec: RolloutSpec, declared: string, now: number): RolloutState {
  return {
    spec: spec.text,
    version: spec.version,
    step: 0,
    phase: 'progressing',
    appliedAt: null,
    failedChecks: 0,
    declared,
    reason: `started: ${spec.version} at ${percent(spec.steps[0]!)}`,
    since: now,
  };
}

/** The weight a state serves for the version. */
export function servedWeight(spec: RolloutSpec, state: RolloutState): number | 'declared' {
  if (state.phase === 'aborted') return 0;
  if (state.phase === 'paused' && state.pausedBy === 'manual-edit') return 'declared';
  return spec.steps[Math.min(state.step, spec.steps.length - 1)]!;
}

export function advance(spec: RolloutSpec, previous: RolloutState | undefined, o: Observation): Decision {
  if (!previous || previous.spec !== spec.text) {
    const state = startState(spec, o.declared, o.now);
    return decide(spec, state, { type: 'Normal', reason: 'RolloutStarted', message: `rollout of ${spec.version} started at ${percent(spec.steps[0]!)}` });
  }
  let state: RolloutState = { ...previous, step: Math.min(previous.step, spec.steps.length - 1) };
  const at = (s: number) => percent(spec.steps[s]!);

  if (o.command) {
    switch (o.command) {
      case 'pause':
        if (state.phase !== 'progressing') return decide(spec, state);
        state = { ...state, phase: 'paused', pausedBy: 'command', reason: `paused by splitplane rollout pause at ${at(state.step)}`, since: o.now };
        return decide(spec, state, { type: 'Normal', reason: 'RolloutPaused', message: state.reason });
      case 'resume': {
        if (state.phase === 'progressing' || state.phase === 'complete') return decide(spec, state);
        // An aborted rollout starts over from its first step; a paused one goes on where it was, with
        // today's declared weights as the new baseline (the edit that paused it is accepted).
        const step = state.phase === 'aborted' ? 0 : state.step;
        state = {
          ...state,
          step,
          phase: 'progressing',
          pausedBy: undefined,
          appliedAt: null,
          failedChecks: 0,
          declared: o.declared,
          reason: `resumed at ${at(step)}`,
          since: o.now,
        };
        return decide(spec, state, { type: 'Normal', reason: 'RolloutResumed', message: `rollout of ${spec.version} resumed at ${at(step)}` });
      }
      case 'abort':
        if (state.phase === 'aborted') return decide(spec, state);
        state = { ...state, phase: 'aborted', pausedBy: undefined, reason: 'aborted by splitplane rollout abort', since: o.now };
        return decide(spec, state, {
          type: 'Warning',
          reason: 'RolloutAborted',
          message: `rollout of ${spec.version} aborted by command: all traffic back on the stable version`,
        });
      case 'promote': {
        if (state.phase === 'complete') return decide(spec, state);
        const last = spec.steps.length - 1;
        state = { ...state, step: last, phase: 'complete', pausedBy: undefined, reason: `promoted by splitplane rollout promote to ${at(last)}`, since: o.now };
        return decide(spec, state, { type: 'Normal', reason: 'RolloutFinished', message: `${state.reason}; ${nextStep(spec)}` });
      }
    }
  }
  if (state.phase !== 'progressing') return decide(spec, state);

  if (o.declared !== state.declared) {
    state = {
      ...state,
      phase: 'paused',
      pausedBy: 'manual-edit',
      reason: `paused at ${at(state.step)}: the weights were edited by hand (manual weights win); splitplane rollout resume goes on from this step`,
      since: o.now,
    };
    return decide(spec, state, { type: 'Warning', reason: 'RolloutPaused', message: state.reason });
  }
  if (!o.applied || o.connected === 0) {
    const waiting = o.connected === 0 ? 'no proxy is connected' : 'waiting for every connected proxy to run these weights';
    state = { ...state, appliedAt: null, reason: `at ${at(state.step)}: ${waiting}` };
    return decide(spec, state);
  }
  const appliedAt = state.appliedAt ?? o.now;
  state = { ...state, appliedAt };
  const served = o.now - appliedAt;

  if (o.target.considered < spec.minRequests || o.target.successRate === null) {
    const held = served >= spec.intervalMs;
    const reason = `at ${at(state.step)}: ${spec.version} has ${Math.floor(o.target.considered)} of the ${spec.minRequests} requests a check needs (min-requests)${held ? '; the step is held until it has them' : ''}`;
    const notice: Notice | undefined =
      held && !previous.reason.includes('the step is held') ? { type: 'Normal', reason: 'RolloutHeld', message: reason } : undefined;
    state = { ...state, reason };
    return decide(spec, state, notice);
  }

  const failure = failedCheck(spec, o.target, o.stable);
  if (failure && !o.fresh) return decide(spec, state);
  if (failure) {
    const failedChecks = state.failedChecks + 1;
    if (failedChecks >= spec.threshold) {
      state = {
        ...state,
        phase: 'aborted',
        failedChecks,
        reason: `aborted at ${at(state.step)}: ${failure} (${failedChecks} failed check${failedChecks > 1 ? 's' : ''} in a row); all traffic is back on the stable version`,
        since: o.now,
      };
      return decide(spec, state, { type: 'Warning', reason: 'RolloutAborted', message: `rollout of ${spec.version} ${state.reason}` });
    }
    state = { ...state, failedChecks, reason: `at ${at(state.step)}: check failed (${failedChecks} of ${spec.threshold} before abort): ${failure}` };
    return decide(spec, state);
  }
  const figures = `${formatRate(o.target.successRate)} success over ${Math.floor(o.target.counted)} requests${o.target.p99Ms !== null ? `, p99 ${Math.round(o.target.p99Ms)} ms` : ''}`;
  if (served < spec.intervalMs) {
    state = {
      ...state,
      failedChecks: 0,
      reason: `at ${at(state.step)}: checks pass (${figures}); next step in ${Math.ceil((spec.intervalMs - served) / 1000)}s`,
    };
    return decide(spec, state);
  }
  if (state.step >= spec.steps.length - 1) {
    state = { ...state, phase: 'complete', failedChecks: 0, reason: `complete at ${at(state.step)} (${figures}); ${nextStep(spec)}`, since: o.now };
    return decide(spec, state, { type: 'Normal', reason: 'RolloutFinished', message: `rollout of ${spec.version} ${state.reason}` });
  }
  const next = state.step + 1;
  state = { ...state, step: next, appliedAt: null, failedChecks: 0, reason: `${at(next - 1)} → ${at(next)} (${figures})`, since: o.now };
  return decide(spec, state, { type: 'Normal', reason: 'RolloutStepped', message: `${spec.version} ${state.reason}` });
}

/** Why the version fails the checks, or undefined when it passes. */
export function failedCheck(spec: RolloutSpec, target: WindowFigures, stable: WindowFigures): string | undefined {
  const rate = target.successRate;
  if (rate === null) return undefined;
  if (rate < spec.minSuccess)
    return `${spec.version} success rate ${formatRate(rate)} over ${Math.floor(target.counted)} requests is below min-success ${formatRate(spec.minSuccess)}`;
  if (
    spec.maxSuccessDrop !== undefined &&
    stable.successRate !== null &&
    stable.considered >= spec.minRequests &&
    rate < stable.successRate - spec.maxSuccessDrop
  )
    return `${spec.version} success rate ${formatRate(rate)} is more than ${formatRate(spec.maxSuccessDrop)} below the stable version's ${formatRate(stable.successRate)}`;
  if (spec.maxP99Ms !== undefined && target.p99Ms !== null && target.p99Ms > spec.maxP99Ms)
    return `${spec.version} p99 latency ${Math.round(target.p99Ms)} ms is above max-p99 ${spec.maxP99Ms} ms`;
  return undefined;
}

/** What the person does once a rollout is complete. */
export function nextStep(spec: RolloutSpec): string {
  const last = spec.steps[spec.steps.length - 1]!;
  return last === 10000
    ? `make it permanent in the manifest: remove the old backends (or give ${spec.version} all the weight) and the splitplane.io/rollout annotation; until then splitplane keeps serving ${spec.version} at 100%`
    : `make it permanent in the manifest: set the weights to ${percent(last)} for ${spec.version} and remove the splitplane.io/rollout annotation; until then splitplane keeps serving them`;
}

function decide(spec: RolloutSpec, state: RolloutState, notice?: Notice): Decision {
  return notice ? { state, weight: servedWeight(spec, state), notice } : { state, weight: servedWeight(spec, state) };
}

function percent(bp: number): string {
  return `${bp / 100}%`;
}
