import { expect } from 'chai';
import * as fc from 'fast-check';
import { requestTargetPath } from '../../lib/http/requestTarget';

describe('requestTargetPath', () => {
  it('reads the path of origin-form and absolute-form targets', () => {
    expect(requestTargetPath('/metrics')).to.equal('/metrics');
    expect(requestTargetPath('/ready?x=1&y[]=2')).to.equal('/ready');
    expect(requestTargetPath('/a/../status')).to.equal('/status');
    expect(requestTargetPath('http://10.0.0.7:9464/metrics')).to.equal('/metrics');
  });

  it('refuses what is not a path: //[, http://a:b, *, an authority, an empty target', () => {
    for (const target of ['//[', '//[::1', 'http://a:b', 'http://[', '*', 'localhost:9464', '', undefined, '/a b', '/\u0000']) {
      expect(requestTargetPath(target), String(target)).to.equal(undefined);
    }
  });

  it('never throws, whatever the target', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        requestTargetPath(s);
        requestTargetPath(`/${s}`);
        requestTargetPath(`http://${s}`);
      }),
    );
  });
});
