import { expect } from 'chai';
import { sharedDecode } from '../../src/xds/ads-service.js';
import { decodeDeltaDiscoveryRequest, encodeDeltaDiscoveryRequest } from '../../src/xds/messages.js';
import { ENDPOINT_TYPE } from '../../src/proto/type-urls.js';

describe('xds/ads-service: large requests decoded once for the fleet', () => {
  const names = Array.from({ length: 2000 }, (_, i) => `default/app-${i}/80`);
  const request = (list: string[]) => Buffer.from(encodeDeltaDiscoveryRequest({ type_url: ENDPOINT_TYPE, resource_names_subscribe: list }));

  it('byte-equal large requests share one decoded form, frozen; any other bytes are decoded on their own', () => {
    let decoded = 0;
    const decode = sharedDecode((b: Buffer) => {
      decoded++;
      return decodeDeltaDiscoveryRequest(b);
    });
    const a = decode(request(names));
    const b = decode(request(names));
    expect(b).to.equal(a);
    expect(decoded).to.equal(1);
    expect(Object.isFrozen(a) && Object.isFrozen(a.resource_names_subscribe)).to.equal(true);
    // One name differs (same length): decoded afresh, with its own names.
    const other = [...names];
    other[1999] = 'default/app-X999/80'.slice(0, names[1999]!.length);
    const c = decode(request(other));
    expect(c).to.not.equal(a);
    expect(c.resource_names_subscribe[1999]).to.equal(other[1999]);
    expect(decoded).to.equal(2);
  });

  it('small requests (ACKs) are decoded every time: nothing to share', () => {
    let decoded = 0;
    const decode = sharedDecode((b: Buffer) => {
      decoded++;
      return decodeDeltaDiscoveryRequest(b);
    });
    const ack = Buffer.from(encodeDeltaDiscoveryRequest({ type_url: ENDPOINT_TYPE, response_nonce: '7' }));
    decode(ack);
    decode(ack);
    expect(decoded).to.equal(2);
  });
});
