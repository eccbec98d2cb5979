// The rollout spec of an accepted Ingress. The model already checked the annotation (an Ingress whose
// spec does not parse is not accepted), so here it is only read again, once per object.

import { ROLLOUT } from '../model/annotations.js';
import type { KubeObject } from '../objects/kube.js';
import { parseRolloutSpec, type RolloutSpec } from './spec.js';

const specs = new WeakMap<KubeObject, RolloutSpec | null>();

export function rolloutSpecOf(object: KubeObject | undefined): RolloutSpec | undefined {
  if (!object) return undefined;
  let spec = specs.get(object);
  if (spec === undefined) {
    const text = object.metadata.annotations?.[ROLLOUT];
    const parsed = text === undefined ? undefined : parseRolloutSpec(text);
    spec = parsed?.ok ? parsed.value : null;
    specs.set(object, spec);
  }
  return spec ?? undefined;
}
