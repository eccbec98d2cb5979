import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { CHUNK, chunkDigests, rehashChunks, versionOf } from '../../src/snapshot/type-version.js';

describe('snapshot/type-version', () => {
  const text = (s: string) => s;

  it('no resources: the hash of nothing, as an empty type has always been versioned', () => {
    expect(versionOf(chunkDigests([], text))).to.equal(createHash('sha256').digest('hex').slice(0, 16));
  });

  for (const count of [1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3]) {
    it(`${count} resources: rehashing the chunks of the changed places gives the version of hashing all again`, () => {
      const items = Array.from({ length: count }, (_, i) => `r${i}\u0000v1`);
      const chunks = chunkDigests(items, text);
      const changed = items.slice();
      const at = [0, count - 1, Math.floor(count / 2)];
      for (const i of at) changed[i] = `r${i}\u0000v2`;
      const patched = rehashChunks(chunks, changed, at, text);
      expect(versionOf(patched)).to.equal(versionOf(chunkDigests(changed, text)));
      expect(versionOf(patched)).to.not.equal(versionOf(chunks));
    });
  }

  it('the order of the resources, and what comes before them, are part of the version', () => {
    expect(versionOf(chunkDigests(['a', 'b'], text))).to.not.equal(versionOf(chunkDigests(['b', 'a'], text)));
    const chunks = chunkDigests(['a'], text);
    expect(versionOf(chunks, Buffer.from('x'))).to.not.equal(versionOf(chunks, Buffer.from('y')));
  });
});
