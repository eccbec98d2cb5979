// Service: the ports the model resolves Ingress backends against.

import type { Service } from '../../objects/kube.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { DNS1035_LABEL, DNS1123_LABEL, IANA_SVC_NAME, kindOf, type Shape } from './shape.js';

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export function checkService(object: Record<string, unknown>, shape: Shape): Service | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1035_LABEL);
  const spec = shape.map(object.spec, 'spec');
  if (spec) {
    shape.string(spec.type, 'spec.type');
    shape.string(spec.clusterIP, 'spec.clusterIP');
    shape.list(spec.ports, 'spec.ports')?.forEach((value, i) => {
      const field = `spec.ports[${i}]`;
      const port = shape.entry(value, field, 'a port with a port number');
      if (!port) return;
      shape.string(port.name, `${field}.name`, DNS1123_LABEL);
      if (shape.required(port.port, `${field}.port`, 'the port number the Service listens on'))
        shape.integer(port.port, `${field}.port`, 1, 65535, 'a port number');
      shape.oneOf(port.protocol, `${field}.protocol`, PROTOCOLS);
      const target = port.targetPort;
      if (typeof target === 'number') shape.integer(target, `${field}.targetPort`, 1, 65535, 'a port number');
      else if (typeof target === 'string') {
        // Digits in a string are a number to the API (IntOrString), as authors of such YAML mean.
        if (!/^\d+$/.test(target)) shape.fits(target, `${field}.targetPort`, IANA_SVC_NAME);
      } else if (target !== undefined && target !== null)
        shape.sink.error(`${field}.targetPort`, `must be a port number or a port name, not ${kindOf(target)}`);
    });
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as Service, metadata);
}
