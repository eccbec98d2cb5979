// judgeNack: what a traced NACK may change for everyone else. Pure, so that the rules of docs/safety.md
// ("a NACK can hold back a change; it never takes away what is served") are table-tested.
//
// A suspect is a form of an object (an Ingress, a Service…) that the refusing client's trace blames.
// Four outcomes, for each suspect on its own:
//
// - protected: another connected client runs resources built from this very form (it ACKed them, in
//   any view: SotW, Delta/VHDS or proxyless gRPC). The form works somewhere, so the refusal is the
//   client's own problem; nothing changes for anyone.
// - held: fewer than a majority of the clients that take what was refused have refused the form.
//   One client alone cannot decide for a fleet; the form keeps being served, and the refusal stays
//   on record until more clients refuse it or one accepts it.
// - awaiting: a majority refused it, but some clients that take it have not answered it yet. A
//   well-behaved client that is about to ACK must not lose the form to faster refusals (a hostile
//   client answers first): the form keeps being served until every client answered or the answer
//   window passed, and is then judged again.
// - rolled back: a majority refused it, none runs it, and every client answered (or the window
//   passed). The object goes back to the newest form a connected client runs, else to the form the
//   refusing client runs; an object no client ever ran is new and is left out, as an Ingress rejected
//   on input would be.

import type { KubeObject } from '../objects/kube.js';
import { LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE, type TypeUrl } from '../proto/type-urls.js';
import type { RoutingView } from '../snapshot/snapshot.js';
import { findBuild, objectsBehind, type BuildRecord, type Suspect } from './trace.js';

/** What the rules need to know of one connected client. */
export interface FleetMember {
  id: number;
  view: RoutingView;
  /** What it runs of a type: the version it last ACKed and the resources it holds at it; undefined if it never ACKed. */
  runs(typeUrl: TypeUrl): { version: string; resources: ReadonlyMap<string, unknown> } | undefined;
}

/** How long clients have to answer a refused form before the refusals are judged without them. */
export const ANSWER_WINDOW_MS = 5000;

export interface Judged {
  suspect: Suspect;
  outcome: 'protected' | 'held' | 'awaiting' | 'rolled-back';
  /** Connected clients that take what was refused (have ACKed routes, listeners, clusters… in their own view). */
  eligible: number;
  /** Connected clients that refused this form, the refusing one included. */
  refusals: number;
  /** Refusals a rollback needs: a majority of the eligible clients. */
  needed: number;
  /** Connected clients other than the refusing one that run resources built from this form. */
  runningElsewhere: number;
  /** Eligible clients that have neither refused nor accepted this form yet. */
  unanswered: number;
  /** Rolled back: the form that serves from now on; undefined when no client ever ran one. */
  restore?: KubeObject;
}

/**
 * The types in which a client of `view` holds what a refusal of `refused` is about. Routes reach a SotW
 * Envoy whole (RDS), a Delta Envoy per host (VHDS; its RDS shell names no cluster and no Ingress
 * content) and a gRPC client per host (RDS `grpc/<host>`); a gRPC client's listeners are made from the
 * names it asks for, not from any object's content.
 */
export function comparableTypes(refused: TypeUrl, view: RoutingView): readonly TypeUrl[] {
  if (refused === ROUTE_TYPE || refused === VIRTUAL_HOST_TYPE) return view === 'per-host' ? [VIRTUAL_HOST_TYPE] : [ROUTE_TYPE];
  if (view === 'grpc' && (refused === LISTENER_TYPE || refused === SECRET_TYPE)) return [];
  return [refused];
}

export function judgeNack(
  /** The type the client refused. */
  refusedType: TypeUrl,
  suspects: readonly Suspect[],
  nacker: number,
  history: readonly BuildRecord[],
  fleet: readonly FleetMember[],
  /** The connected clients that refused a form (the refusing one included, once counted by the caller). */
  refusers: (form: KubeObject) => ReadonlySet<number>,
  /** Whether the answer window of a form has passed: clients that have not answered are not waited for. */
  windowPassed: (form: KubeObject) => boolean = () => false,
): Judged[] {
  const connected = new Set(fleet.map((m) => m.id));
  return suspects.map((suspect) => {
    let eligible = 0;
    let runningElsewhere = 0;
    // The newest form some connected client runs: the index of its build in the history.
    let newest: { at: number; form: KubeObject } | undefined;
    const runsCache = new Map<unknown, Map<string, { at: number; form: KubeObject } | null>>();
    for (const member of fleet) {
      let takes = false;
      let runsRefused = false;
      for (const typeUrl of comparableTypes(refusedType, member.view)) {
        const running = member.runs(typeUrl);
        if (!running) continue;
        takes = true;
        // Clients in step share the map of what they run: each distinct one is looked at once.
        let byVersion = runsCache.get(running.resources);
        if (!byVersion) runsCache.set(running.resources, (byVersion = new Map()));
        let found = byVersion.get(running.version);
        if (found === undefined) {
          found = formRun(history, typeUrl, member.view, running, suspect.key);
          byVersion.set(running.version, found);
        }
        if (!found) continue;
        if (found.form === suspect.object) runsRefused = true;
        else if (!newest || found.at > newest.at) newest = found;
      }
      if (takes) eligible++;
      if (runsRefused && member.id !== nacker) runningElsewhere++;
    }
    let refusals = 0;
    for (const id of refusers(suspect.object)) if (connected.has(id) || id === nacker) refusals++;
    // The refusing client counts even if it left since: its refusal was heard.
    eligible = Math.max(eligible, refusals, 1);
    const needed = Math.floor(eligible / 2) + 1;
    const unanswered = Math.max(0, eligible - refusals - runningElsewhere);
    const base = { suspect, eligible, refusals, needed, runningElsewhere, unanswered };
    if (runningElsewhere > 0) return { ...base, outcome: 'protected' };
    if (refusals < needed) return { ...base, outcome: 'held' };
    if (unanswered > 0 && !windowPassed(suspect.object)) return { ...base, outcome: 'awaiting' };
    return { ...base, outcome: 'rolled-back', restore: newest?.form ?? suspect.running };
  });
}

/**
 * The form of object `key` behind what a client runs of a type: the form in the build it ACKed, if a
 * resource it holds is built from that object. Null when it runs nothing built from the object.
 */
function formRun(
  history: readonly BuildRecord[],
  typeUrl: TypeUrl,
  view: RoutingView,
  running: { version: string; resources: ReadonlyMap<string, unknown> },
  key: string,
): { at: number; form: KubeObject } | null {
  const build = findBuild(history, typeUrl, view, running.version);
  const form = build?.accepted.get(key);
  if (!build || !form) return null;
  // Only the object itself is looked at: which of the resources the client holds are built from it.
  const alone = new Map([[key, form]]);
  for (const name of running.resources.keys()) {
    if (objectsBehind(typeUrl, name, alone, { exact: true }).includes(key)) return { at: history.indexOf(build), form };
  }
  return null;
}
