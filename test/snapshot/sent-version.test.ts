import { expect } from 'chai';
import { snapshotVersionOf, withKeptClusters } from '../../src/snapshot/sent-version.js';

describe('snapshot/sent-version', () => {
  it('a version that keeps older clusters reads back as the snapshot version it was made from', () => {
    const sent = withKeptClusters('0123456789abcdef', ['ns/b/80', 'ns/a/80']);
    expect(sent).to.match(/^0123456789abcdef\+[0-9a-f]{8}$/);
    expect(snapshotVersionOf(sent)).to.equal('0123456789abcdef');
    expect(snapshotVersionOf('0123456789abcdef')).to.equal('0123456789abcdef');
  });

  it('the mark depends on the kept names, not on their order', () => {
    expect(withKeptClusters('v', ['a', 'b'])).to.equal(withKeptClusters('v', ['b', 'a']));
    expect(withKeptClusters('v', ['a'])).to.not.equal(withKeptClusters('v', ['a', 'b']));
  });
});
