// ReferenceGrant: whether an object in one namespace may refer to an object in another. A reference
// inside one namespace needs no grant; across namespaces it needs a ReferenceGrant in the namespace of
// the object referred to, naming the referring kind and namespace in `from` and the referred kind (and
// optionally its name) in `to`. Without one the reference is `RefNotPermitted`, as if it did not exist.

import { namespaceOf } from '../objects/kube.js';
import type { ReferenceGrant } from '../objects/gateway-api.js';

export interface Reference {
  from: { group: string; kind: string; namespace: string };
  to: { group: string; kind: string; namespace: string; name: string };
}

export class Grants {
  private readonly byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const grant of grants) {
      const ns = namespaceOf(grant);
      const list = this.byNamespace.get(ns);
      if (list) list.push(grant);
      else this.byNamespace.set(ns, [grant]);
    }
  }

  permits(ref: Reference): boolean {
    if (ref.from.namespace === ref.to.namespace) return true;
    for (const grant of this.byNamespace.get(ref.to.namespace) ?? []) {
      const from = grant.spec.from.some((f) => f.group === ref.from.group && f.kind === ref.from.kind && f.namespace === ref.from.namespace);
      if (!from) continue;
      const to = grant.spec.to.some(
        (t) => t.group === ref.to.group && t.kind === ref.to.kind && (t.name === undefined || t.name === '' || t.name === ref.to.name),
      );
      if (to) return true;
    }
    return false;
  }
}
