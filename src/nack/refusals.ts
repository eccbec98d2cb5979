// What the control plane does when a client refuses a version (a NACK): trace it to the objects behind
// it (trace.ts), judge what that may change for everyone else (verdict.ts), and carry the outcome
// out: a rolled-back form is marked rejected and its object goes back to the form a client runs; a
// refusal that changes nothing is a warning on the object while that form is served; a refusal
// awaiting the other clients' answers is judged again when the answer window has passed.

import type { Timers } from '../debounce.js';
import { LogLimiter } from '../log-limit.js';
import type { Logger } from '../log.js';
import type { RejectedObjects } from '../model/admission.js';
import { refOfObject } from '../model/validation/validate.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { KubeObject } from '../objects/kube.js';
import { SHORT_NAME } from '../proto/type-urls.js';
import type { NackReport } from '../xds/server.js';
import { traceNack, type BuildRecord, type Suspect } from './trace.js';
import { ANSWER_WINDOW_MS, judgeNack, type FleetMember, type Judged } from './verdict.js';

/** The field a refusal is reported on, by kind: where the refused resource's content comes from. */
const REFUSED_FIELD: Readonly<Record<string, string>> = {
  Ingress: 'spec',
  Service: 'spec.ports',
  EndpointSlice: 'endpoints',
  Secret: 'data',
  IngressClass: 'spec',
};

export interface RefusalContext {
  /** The published builds remembered, oldest first. */
  history(): readonly BuildRecord[];
  /** The last accepted form of every object: what a rollback changes. */
  accepted(): Map<string, KubeObject>;
  /** The connected clients. */
  fleet(): readonly FleetMember[];
  /** Something changed: rebuild (a whole build when accepted forms changed). */
  changed(whole: boolean): void;
  log: Logger;
  timers: Timers;
}

/** A refusal that awaits the other clients' answers, to be judged again. */
interface Awaiting {
  nack: NackReport;
  suspect: Suspect;
}

/**
 * The refused forms, counting how many were ever marked: a build that admitted a list when the count
 * was the same knows that none of its objects has been refused since, without asking for each.
 */
class RefusedForms extends WeakMap<KubeObject, { field: string; message: string }> implements RejectedObjects {
  marks = 0;

  override set(form: KubeObject, refusal: { field: string; message: string }): this {
    this.marks++;
    return super.set(form, refusal);
  }
}

export class Refusals {
  /** Forms of objects that clients refused and that were rolled back; weak, so forms nobody holds are forgotten. */
  readonly rejected = new RefusedForms();
  /** Who refused each form and since when; weak, like `rejected`. */
  private readonly refusedBy = new WeakMap<KubeObject, { clients: Set<number>; since: number }>();
  /** Refusals that changed nothing (held, protected, awaiting), shown while the form they name is served. */
  private readonly notes = new Map<string, { form: KubeObject; diagnostic: Diagnostic }>();
  private readonly awaiting = new Map<string, Awaiting>();
  private timer: unknown;
  /** NACK lines are limited per client: a client can send thousands a second. */
  private readonly lines = new LogLimiter();

  constructor(private readonly context: RefusalContext) {}

  /**
   * A client refused a version. What it may change for the others is bounded (docs/safety.md): its trace
   * blames only what it subscribed to and what changed since its last ACK, a form another client runs
   * is never rolled back, a rollback needs a majority of the clients that take what was refused and
   * waits for the others' answers, and a rolled-back object serves the newest form a client runs.
   */
  refused(nack: NackReport): void {
    const fields = { type: SHORT_NAME[nack.typeUrl], version: nack.version, node: nack.node.slice(0, 128), stream: nack.stream };
    const line = this.lines.take(`${nack.stream}`);
    const log = (level: 'warn' | 'error', msg: string, more: Record<string, unknown>) => {
      if (line.ok) this.context.log[level](msg, { ...fields, ...more, ...(line.suppressed > 0 ? { suppressedSinceLast: line.suppressed } : {}) });
    };
    if (nack.acceptedElsewhere > 0) {
      log('warn', 'NACK changes nothing: other proxies accepted this version, so the refusing proxy is the odd one', {});
      return;
    }
    const trace = traceNack(nack, this.context.history());
    if ('why' in trace) {
      log('warn', 'NACK blames no object; the refusing proxy keeps its last accepted configuration until the next change', { why: trace.why });
      return;
    }
    const now = this.context.timers.now();
    for (const suspect of trace.suspects) {
      let record = this.refusedBy.get(suspect.object);
      if (!record) this.refusedBy.set(suspect.object, (record = { clients: new Set(), since: now }));
      record.clients.add(nack.stream);
    }
    const verdicts = this.judge(nack, trace.suspects, false);
    const rolledBack = verdicts.filter((v) => v.outcome === 'rolled-back').length;
    log(
      rolledBack > 0 ? 'error' : 'warn',
      rolledBack > 0 ? 'a configuration was refused (NACK) and rolled back' : 'a configuration was refused (NACK); it keeps being served',
      {
        objects: verdicts.slice(0, 10).map(describe),
      },
    );
  }

  /** Warnings for refusals that changed nothing, while the form they name is the one served. */
  diagnostics(): Diagnostic[] {
    const accepted = this.context.accepted();
    const out: Diagnostic[] = [];
    for (const [key, note] of this.notes) {
      if (accepted.get(key) === note.form) out.push(note.diagnostic);
      else this.notes.delete(key);
    }
    return out;
  }

  stop(): void {
    if (this.timer !== undefined) this.context.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private judge(nack: NackReport, suspects: readonly Suspect[], windowPassed: boolean): Judged[] {
    const now = this.context.timers.now();
    const verdicts = judgeNack(
      nack.typeUrl,
      suspects,
      nack.stream,
      this.context.history(),
      this.context.fleet(),
      (form) => this.refusedBy.get(form)?.clients ?? new Set(),
      (form) => windowPassed || now - (this.refusedBy.get(form)?.since ?? now) >= ANSWER_WINDOW_MS,
    );
    let whole = false;
    const accepted = this.context.accepted();
    for (const verdict of verdicts) {
      const { suspect } = verdict;
      const field = REFUSED_FIELD[suspect.object.kind] ?? 'metadata';
      const message = refusalMessage(nack, verdict);
      this.awaiting.delete(suspect.key);
      if (verdict.outcome !== 'rolled-back') {
        this.notes.set(suspect.key, { form: suspect.object, diagnostic: { severity: 'warning', object: refOfObject(suspect.object), field, message } });
        if (verdict.outcome === 'awaiting') this.awaiting.set(suspect.key, { nack, suspect });
        continue;
      }
      this.notes.delete(suspect.key);
      this.rejected.set(suspect.object, { field, message });
      // The next build falls back to what a client runs, not to the refused form it replaced.
      if (accepted.get(suspect.key) === suspect.object) {
        whole = true;
        if (verdict.restore) accepted.set(suspect.key, verdict.restore);
        else accepted.delete(suspect.key);
      }
    }
    if (this.awaiting.size > 0 && this.timer === undefined) this.timer = this.context.timers.setTimeout(() => this.windowPassed(), ANSWER_WINDOW_MS);
    this.context.changed(whole);
    return verdicts;
  }

  /** The answer window passed: refusals still awaiting are judged without the clients that did not answer. */
  private windowPassed(): void {
    this.timer = undefined;
    const accepted = this.context.accepted();
    const due = [...this.awaiting.values()].filter((a) => accepted.get(a.suspect.key) === a.suspect.object);
    this.awaiting.clear();
    for (const { nack, suspect } of due) {
      const [verdict] = this.judge(nack, [suspect], true);
      if (verdict) this.context.log.warn('a refused configuration was judged again once the other clients had time to answer', { object: describe(verdict) });
    }
  }
}

function describe(v: Judged): string {
  return `${v.suspect.key}: ${v.outcome} (${v.refusals} of ${v.eligible} refused, ${v.needed} needed, ${v.runningElsewhere} run it, ${v.unanswered} not answered)`;
}

/** What a refusal did, in the words of the diagnostic on the object it blames. */
function refusalMessage(nack: NackReport, verdict: Judged): string {
  const { suspect } = verdict;
  const kind = suspect.object.kind;
  const refused = `A proxy (node ${JSON.stringify(nack.node.slice(0, 64))}) refused the ${SHORT_NAME[nack.typeUrl]} update built from this ${kind} (${suspect.resources.slice(0, 3).join(', ')}): ${JSON.stringify(nack.message)}`;
  const proxies = (n: number) => `${n} connected ${n === 1 ? 'proxy' : 'proxies'}`;
  const count = `${verdict.refusals} of ${proxies(verdict.eligible)} refused this form`;
  switch (verdict.outcome) {
    case 'protected':
      return `${refused}; ${verdict.runningElsewhere} other ${proxies(verdict.runningElsewhere).replace(/^\d+ /, '')} ${verdict.runningElsewhere === 1 ? 'runs' : 'run'} this form, so it keeps being served and the refusing proxy keeps its last accepted configuration: check that proxy (its version, its extensions)`;
    case 'held':
      return `${refused}; ${count}, fewer than the ${verdict.needed} a rollback needs, so it keeps being served and the refusing proxy keeps its last accepted configuration`;
    case 'awaiting':
      return `${refused}; ${count}, and ${verdict.unanswered} ${verdict.unanswered === 1 ? 'has' : 'have'} not answered yet: it keeps being served while they do (${ANSWER_WINDOW_MS / 1000} s at most)`;
    case 'rolled-back':
      return verdict.restore
        ? `${refused}; ${count} and none runs it, so the form a proxy runs keeps serving until this ${kind} changes. Envoy refusing what splitplane sends is a splitplane bug: please report it with this message`
        : `${refused}; ${count}, and no proxy ever ran this ${kind}, so it is not served until it changes. Envoy refusing what splitplane sends is a splitplane bug: please report it with this message`;
  }
}
