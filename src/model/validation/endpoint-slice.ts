// EndpointSlice (discovery.k8s.io/v1): every address an IP of the slice's addressType and every port a
// port number, as the API server checks them. Envoy refuses a ClusterLoadAssignment with `localhost`
// or port 70000 in it, and such a refusal would hold back every later update of that Envoy.

import { isIPv4, isIPv6 } from 'node:net';
import type { EndpointSlice } from '../../objects/kube.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { PROTOCOLS } from './service.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, quote, type Shape } from './shape.js';

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;
/** The API's limit of addresses per endpoint. */
const MAX_ADDRESSES = 100;

export function checkEndpointSlice(object: Record<string, unknown>, shape: Shape): EndpointSlice | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  let addressType: string | undefined;
  if (shape.required(object.addressType, 'addressType', `one of ${ADDRESS_TYPES.join(', ')}`))
    addressType = shape.oneOf(object.addressType, 'addressType', ADDRESS_TYPES);
  shape.list(object.endpoints, 'endpoints')?.forEach((value, i) => {
    const field = `endpoints[${i}]`;
    const endpoint = shape.entry(value, field, 'an endpoint with addresses');
    if (!endpoint) return;
    const addresses = shape.list(endpoint.addresses, `${field}.addresses`);
    if (!addresses || addresses.length === 0) {
      if (endpoint.addresses === undefined || endpoint.addresses === null || addresses?.length === 0)
        shape.sink.error(`${field}.addresses`, 'is required: list at least one address');
    } else if (addresses.length > MAX_ADDRESSES) {
      shape.sink.error(`${field}.addresses`, `lists ${addresses.length} addresses; an endpoint has at most ${MAX_ADDRESSES}`);
    } else {
      addresses.forEach((address, j) => checkAddress(address, `${field}.addresses[${j}]`, addressType, shape));
    }
    const conditions = shape.map(endpoint.conditions, `${field}.conditions`);
    if (conditions) for (const key of ['ready', 'serving', 'terminating']) shape.boolean(conditions[key], `${field}.conditions.${key}`);
  });
  shape.list(object.ports, 'ports')?.forEach((value, i) => {
    const field = `ports[${i}]`;
    const port = shape.entry(value, field, 'a port with a port number');
    if (!port) return;
    if (port.name !== '') shape.string(port.name, `${field}.name`, DNS1123_LABEL);
    shape.integer(port.port, `${field}.port`, 1, 65535, 'a port number');
    shape.oneOf(port.protocol, `${field}.protocol`, PROTOCOLS);
  });
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as EndpointSlice, metadata);
}

function checkAddress(value: unknown, field: string, addressType: string | undefined, shape: Shape): void {
  const address = shape.string(value, field);
  if (address === undefined || addressType === undefined) return;
  const ok =
    addressType === 'IPv4'
      ? isIPv4(address)
      : addressType === 'IPv6'
        ? isIPv6(address) && !address.includes('%')
        : DNS1123_SUBDOMAIN.pattern.test(address) && address.length <= DNS1123_SUBDOMAIN.max;
  if (!ok)
    shape.sink.error(
      field,
      `${quote(address)} is not ${addressType === 'FQDN' ? 'a DNS name' : `an ${addressType} address`}, as the slice's addressType ${addressType} requires`,
    );
}
