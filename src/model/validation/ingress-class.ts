// IngressClass: which controller a class belongs to.

import type { IngressClass } from '../../objects/kube.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { DNS1123_SUBDOMAIN, type Shape } from './shape.js';

export function checkIngressClass(object: Record<string, unknown>, shape: Shape): IngressClass | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = shape.map(object.spec, 'spec');
  if (spec) shape.string(spec.controller, 'spec.controller');
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as IngressClass, metadata);
}
