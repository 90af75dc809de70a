import { ContainerName, ReleaseUpdateDocument, releaseUpdateDocument, type Release } from '../src/index.js';

const DIGEST = 'a'.repeat(64);
const signature = { algorithm: 'Ed25519' as const, keyId: '0f'.repeat(16), value: 'c2lnbmVk' };
const container: Release = {
  releaseId: 'rel_0123456789abcdef01234567',
  kind: 'container',
  version: '2.0.0',
  status: 'ready',
  image: `127.0.0.1:5000/gateway/app@sha256:${DIGEST}`,
  sha256: DIGEST,
  signature,
  createdAt: '2026-01-01T00:00:00.000Z',
  readyAt: '2026-01-01T00:00:00.000Z',
};

describe('release update documents', () => {
  it('names the container a container release replaces, and refuses to make one without it', () => {
    expect(() => releaseUpdateDocument('ws_1', container)).toThrow(/name the container it replaces/);
    const document = releaseUpdateDocument('ws_1', container, { containerName: 'app' });
    expect(document).toMatchObject({ operation: 'citus:install-release', container: { name: 'app' }, release: { kind: 'container', image: container.image } });
    expect(document.release.url).toBeUndefined();
    expect(ReleaseUpdateDocument.parse(document)).toEqual(document);
  });

  it('takes container names as the Docker engine does', () => {
    for (const name of ['app', 'my-app_2.1', 'A1']) expect(ContainerName.safeParse(name).success).toBe(true);
    for (const name of ['', '-app', 'app/../x', 'with space', 'x'.repeat(129)]) expect(ContainerName.safeParse(name).success).toBe(false);
    expect(() => releaseUpdateDocument('ws_1', container, { containerName: '../etc' })).toThrow();
  });
});
