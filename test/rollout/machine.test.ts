// The rollout state machine as a table: each row is one look (simulated time, what the proxies run,
// the window's figures, a manual edit, a command, a restart) and what the machine must decide.

import { expect } from 'chai';
import { advance, servedWeight, type Command, type Decision, type Observation, type RolloutState, type WindowFigures } from '../../src/rollout/machine.js';
import { parseRolloutSpec, type RolloutSpec } from '../../src/rollout/spec.js';
import { readStored } from '../../src/rollout/state-store.js';

function spec(text: string): RolloutSpec {
  const r = parseRolloutSpec(text);
  if (!r.ok) throw new Error(r.diagnostics.join('; '));
  return r.value;
}

const SPEC = spec('new; steps=5,25,50,100; interval=30s; min-success=99%; min-requests=100; threshold=2');
const DECLARED = 'old=5000,new=5000';

/** Figures of a window: n requests, f of them failed. */
const w = (n: number, f = 0, p99Ms: number | null = null): WindowFigures => ({ considered: n, counted: n, successRate: n === 0 ? null : 1 - f / n, p99Ms });
const NONE = w(0);

interface Row {
  /** Seconds from the start. */
  at: number;
  see?: Partial<Omit<Observation, 'now'>>;
  /** The process restarted before this look: the state comes back from the store. */
  restart?: true;
  expect: { phase: RolloutState['phase']; step: number; weight: number | 'declared'; notice?: string; reason?: RegExp };
}

function run(rows: Row[], s: RolloutSpec = SPEC): Decision[] {
  let state: RolloutState | undefined;
  const out: Decision[] = [];
  for (const row of rows) {
    if (row.restart && state) state = readStored(JSON.parse(JSON.stringify({ group: 'g', ingress: 'i', state })))!.state;
    const o: Observation = { now: row.at * 1000, declared: DECLARED, applied: true, connected: 1, target: NONE, stable: w(1000), fresh: true, ...row.see };
    const d = advance(s, state, o);
    const label = `at ${row.at}s: ${d.state.reason}`;
    expect(d.state.phase, label).to.equal(row.expect.phase);
    expect(d.state.step, label).to.equal(row.expect.step);
    expect(d.weight, label).to.equal(row.expect.weight);
    expect(d.notice?.reason, label).to.equal(row.expect.notice);
    if (row.expect.reason) expect(d.state.reason, label).to.match(row.expect.reason);
    state = d.state;
    out.push(d);
  }
  return out;
}

describe('rollout/machine', () => {
  it('walks 5 → 25 → 50 → 100 % when each step holds its interval with passing checks, then completes and keeps 100 %', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 1, see: { target: w(150) }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /checks pass .*next step in 30s/ } },
      {
        at: 31,
        see: { target: w(300) },
        expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped', reason: /5% → 25% \(100% success over 300 requests\)/ },
      },
      { at: 32, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500 } },
      { at: 62, see: { target: w(900) }, expect: { phase: 'progressing', step: 2, weight: 5000, notice: 'RolloutStepped' } },
      { at: 63, see: { target: w(900) }, expect: { phase: 'progressing', step: 2, weight: 5000 } },
      { at: 93, see: { target: w(900) }, expect: { phase: 'progressing', step: 3, weight: 10000, notice: 'RolloutStepped' } },
      { at: 94, see: { target: w(900) }, expect: { phase: 'progressing', step: 3, weight: 10000 } },
      {
        at: 124,
        see: { target: w(900) },
        expect: { phase: 'complete', step: 3, weight: 10000, notice: 'RolloutFinished', reason: /make it permanent in the manifest/ },
      },
      { at: 500, see: { target: w(0) }, expect: { phase: 'complete', step: 3, weight: 10000 } },
    ]);
  });

  it('a step counts from when every proxy runs it: before that nothing is judged and the interval does not run', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      {
        at: 40,
        see: { applied: false, target: w(500, 50) },
        expect: { phase: 'progressing', step: 0, weight: 500, reason: /waiting for every connected proxy/ },
      },
      { at: 41, see: { connected: 0 }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /no proxy is connected/ } },
      { at: 42, see: { target: w(200) }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /next step in 30s/ } },
      { at: 72, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped' } },
    ]);
  });

  it('too few requests to judge: the step is held past its interval and says so once, never moves on', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      {
        at: 1,
        see: { target: w(37) },
        expect: { phase: 'progressing', step: 0, weight: 500, reason: /has 37 of the 100 requests a check needs \(min-requests\)$/ },
      },
      {
        at: 31,
        see: { target: w(40, 40) },
        expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutHeld', reason: /the step is held until it has them/ },
      },
      { at: 60, see: { target: w(60) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 61, see: { target: w(100) }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped' } },
    ]);
  });

  it('a failing version: the threshold of failed checks in a row aborts, all weight back on stable at once, with the figures', () => {
    const [, , aborted] = run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 2, see: { target: w(200, 20) }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /check failed \(1 of 2 before abort\)/ } },
      { at: 4, see: { target: w(300, 30) }, expect: { phase: 'aborted', step: 0, weight: 0, notice: 'RolloutAborted' } },
      { at: 600, see: { target: w(0) }, expect: { phase: 'aborted', step: 0, weight: 0 } },
    ]);
    expect(aborted!.notice!.type).to.equal('Warning');
    expect(aborted!.state.reason).to.equal(
      'aborted at 5%: new success rate 90% over 300 requests is below min-success 99% (2 failed checks in a row); all traffic is back on the stable version',
    );
  });

  it('one noisy window is not an abort: a passing check in between starts the count again', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 2, see: { target: w(200, 20) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 4, see: { target: w(200, 0) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 6, see: { target: w(200, 20) }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /1 of 2 before abort/ } },
    ]);
  });

  it('the same window looked at twice (no new reports) is one check', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 2, see: { target: w(200, 20) }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /1 of 2/ } },
      { at: 3, see: { target: w(200, 20), fresh: false }, expect: { phase: 'progressing', step: 0, weight: 500, reason: /1 of 2/ } },
      { at: 4, see: { target: w(200, 20) }, expect: { phase: 'aborted', step: 0, weight: 0, notice: 'RolloutAborted' } },
    ]);
  });

  it('p99 above max-p99 and a success rate too far below stable are failed checks too', () => {
    const s = spec('new; steps=10,100; interval=10s; min-requests=10; threshold=1; max-p99=500ms; max-success-drop=1%; min-success=95%');
    const slow = run(
      [
        { at: 0, expect: { phase: 'progressing', step: 0, weight: 1000, notice: 'RolloutStarted' } },
        {
          at: 1,
          see: { target: w(100, 0, 750) },
          expect: { phase: 'aborted', step: 0, weight: 0, notice: 'RolloutAborted', reason: /p99 latency 750 ms is above max-p99 500 ms/ },
        },
      ],
      s,
    );
    expect(slow).to.have.length(2);
    run(
      [
        { at: 0, expect: { phase: 'progressing', step: 0, weight: 1000, notice: 'RolloutStarted' } },
        {
          at: 1,
          // 98.5 % passes the floor of 95 %, but stable runs at 100 %: more than one point below it.
          see: { target: w(1000, 15), stable: w(5000, 0) },
          expect: { phase: 'aborted', step: 0, weight: 0, notice: 'RolloutAborted', reason: /more than 1% below the stable version's 100%/ },
        },
      ],
      s,
    );
  });

  it('manual weights win: an edit of the declared weights pauses the rollout and serves them; resume goes on from that step', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 1, see: { target: w(200) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 31, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped' } },
      {
        at: 40,
        see: { declared: 'old=8000,new=2000' },
        expect: { phase: 'paused', step: 1, weight: 'declared', notice: 'RolloutPaused', reason: /edited by hand/ },
      },
      { at: 100, see: { declared: 'old=8000,new=2000', target: w(1000) }, expect: { phase: 'paused', step: 1, weight: 'declared' } },
      { at: 101, see: { declared: 'old=8000,new=2000', command: 'resume' }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutResumed' } },
      { at: 102, see: { declared: 'old=8000,new=2000', target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500 } },
    ]);
  });

  it('commands: pause holds the step, resume goes on, abort takes the version out, resume after abort starts over, promote completes', () => {
    const c = (command: Command) => ({ command });
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 1, see: { target: w(200) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 31, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped' } },
      { at: 32, see: c('pause'), expect: { phase: 'paused', step: 1, weight: 2500, notice: 'RolloutPaused' } },
      { at: 99, see: { target: w(1000) }, expect: { phase: 'paused', step: 1, weight: 2500 } },
      { at: 100, see: c('resume'), expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutResumed' } },
      { at: 101, see: c('abort'), expect: { phase: 'aborted', step: 1, weight: 0, notice: 'RolloutAborted', reason: /aborted by splitplane rollout abort/ } },
      { at: 102, see: c('resume'), expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutResumed' } },
      { at: 103, see: c('promote'), expect: { phase: 'complete', step: 3, weight: 10000, notice: 'RolloutFinished' } },
      { at: 104, see: c('pause'), expect: { phase: 'complete', step: 3, weight: 10000 } },
    ]);
  });

  it('a restart resumes at the step the proxies were serving: never ahead, never from zero, and the step counts afresh', () => {
    run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 1, see: { target: w(200) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 31, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500, notice: 'RolloutStepped' } },
      { at: 50, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500 } },
      // Down for a minute: the step's interval starts again from when the proxies run it after the restart.
      { at: 110, restart: true, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500, reason: /next step in 30s/ } },
      { at: 139, see: { target: w(200) }, expect: { phase: 'progressing', step: 1, weight: 2500 } },
      { at: 140, see: { target: w(200) }, expect: { phase: 'progressing', step: 2, weight: 5000, notice: 'RolloutStepped' } },
    ]);
  });

  it('a new annotation text is a new rollout from its first step; an aborted one stays aborted until then', () => {
    const first = run([
      { at: 0, expect: { phase: 'progressing', step: 0, weight: 500, notice: 'RolloutStarted' } },
      { at: 1, see: { target: w(200, 100) }, expect: { phase: 'progressing', step: 0, weight: 500 } },
      { at: 2, see: { target: w(200, 100) }, expect: { phase: 'aborted', step: 0, weight: 0, notice: 'RolloutAborted' } },
    ]);
    const next = spec('new; steps=10,100; interval=30s');
    const d = advance(next, first[2]!.state, { now: 3000, declared: DECLARED, applied: true, connected: 1, target: NONE, stable: NONE, fresh: true });
    expect([d.state.phase, d.weight, d.notice?.reason]).to.deep.equal(['progressing', 1000, 'RolloutStarted']);
    expect(servedWeight(next, d.state)).to.equal(1000);
  });
});
