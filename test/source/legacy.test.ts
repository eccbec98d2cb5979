import { expect } from 'chai';
import { convertLegacyIngress, isLegacyIngress } from '../../src/source/legacy.js';

describe('source/legacy', () => {
  it('recognises the legacy Ingress versions only', () => {
    expect(isLegacyIngress({ apiVersion: 'extensions/v1beta1', kind: 'Ingress' })).to.equal(true);
    expect(isLegacyIngress({ apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress' })).to.equal(true);
    expect(isLegacyIngress({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' })).to.equal(false);
    expect(isLegacyIngress({ apiVersion: 'extensions/v1beta1', kind: 'Deployment' })).to.equal(false);
  });

  it("converts the blue-green example's Ingress to v1", () => {
    const legacyExample = {
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'echo', annotations: { 'ingress.aliyun.weight/new-nginx': '50' } },
      spec: {
        backend: { serviceName: 'default-http-backend', servicePort: 80 },
        rules: [
          {
            host: 'mini-echo.io',
            http: {
              paths: [
                { path: '/', backend: { serviceName: 'old-nginx', servicePort: 80 } },
                { path: '/', backend: { serviceName: 'new-nginx', servicePort: 'http' } },
              ],
            },
          },
        ],
      },
    };
    expect(convertLegacyIngress(legacyExample)).to.deep.equal({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: legacyExample.metadata,
      spec: {
        defaultBackend: { service: { name: 'default-http-backend', port: { number: 80 } } },
        rules: [
          {
            host: 'mini-echo.io',
            http: {
              paths: [
                { path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'old-nginx', port: { number: 80 } } } },
                { path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'new-nginx', port: { name: 'http' } } } },
              ],
            },
          },
        ],
      },
    });
  });

  it('keeps an explicit pathType, ingressClassName, tls, and digits written as a string', () => {
    const out = convertLegacyIngress({
      apiVersion: 'networking.k8s.io/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'x' },
      spec: {
        ingressClassName: 'splitplane',
        tls: [{ hosts: ['a.io'], secretName: 's' }],
        rules: [{ http: { paths: [{ path: '/a', pathType: 'Exact', backend: { serviceName: 'a', servicePort: '8080' } }] } }],
      },
    });
    expect(out.spec.ingressClassName).to.equal('splitplane');
    expect(out.spec.tls).to.deep.equal([{ hosts: ['a.io'], secretName: 's' }]);
    expect(out.spec.rules![0]!.http!.paths[0]).to.deep.equal({ path: '/a', pathType: 'Exact', backend: { service: { name: 'a', port: { number: 8080 } } } });
  });

  it('a backend without serviceName converts to an empty backend, which the model reports', () => {
    const out = convertLegacyIngress({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'x' }, spec: { backend: {} } });
    expect(out.spec.defaultBackend).to.deep.equal({});
  });
});
