import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseManifest, type CodeSigningKey } from '@citus/contracts';
import { checkRelease, digestOfFile, type ReleaseToCheck } from '../src/index.js';

function workspaceKey(): { key: CodeSigningKey; sign: (message: string) => string } {
  const pair = generateKeyPairSync('ed25519');
  const keyId = createHash('sha256').update(pair.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
  return {
    key: { algorithm: 'Ed25519', keyId, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    sign: (message) => sign(null, Buffer.from(message), pair.privateKey).toString('base64'),
  };
}

const FIRMWARE = Buffer.from('firmware 1.4.0 for the boiler controller');
const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function signedRelease(signer: ReturnType<typeof workspaceKey>): ReleaseToCheck {
  const fields = { workspaceId: 'ws_a', releaseId: 'rel_000000000000000000000001', kind: 'artifact' as const, version: '1.4.0', sha256: digest(FIRMWARE), size: FIRMWARE.length };
  return { ...fields, signature: { algorithm: 'Ed25519', keyId: signer.key.keyId, value: signer.sign(releaseManifest(fields)) } };
}

describe('checking a release on the device (real Ed25519 keys, a real file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-release-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the signed bytes, read back from a file', async () => {
    const signer = workspaceKey();
    writeFileSync(join(dir, 'artifact.bin'), FIRMWARE);
    expect(checkRelease(signedRelease(signer), signer.key, await digestOfFile(join(dir, 'artifact.bin')))).toEqual({ ok: true });
  });

  it('refuses a tampered artifact, a changed release, another key, and a release of another workspace', async () => {
    const signer = workspaceKey();
    const release = signedRelease(signer);
    const tampered = Buffer.from(FIRMWARE);
    tampered[0] = 0x46;
    writeFileSync(join(dir, 'tampered.bin'), tampered);
    expect(checkRelease(release, signer.key, await digestOfFile(join(dir, 'tampered.bin')))).toEqual({ ok: false, reason: expect.stringMatching(/SHA-256 .* is not the signed/) });
    expect(checkRelease({ ...release, version: '9.9.9' }, signer.key, { sha256: release.sha256, size: FIRMWARE.length })).toEqual({ ok: false, reason: expect.stringMatching(/does not verify/) });
    expect(checkRelease({ ...release, workspaceId: 'ws_b' }, signer.key, { sha256: release.sha256, size: FIRMWARE.length })).toMatchObject({ ok: false });
    // The attacker's own release, with a signature that holds under the attacker's key: refused, the device trusts its workspace's key only.
    const attacker = workspaceKey();
    const forged = signedRelease(attacker);
    expect(checkRelease(forged, signer.key, { sha256: forged.sha256, size: FIRMWARE.length })).toEqual({ ok: false, reason: expect.stringMatching(/not with the workspace's key/) });
    expect(checkRelease({ ...forged, signature: { ...forged.signature, keyId: signer.key.keyId } }, signer.key, { sha256: forged.sha256, size: FIRMWARE.length })).toMatchObject({ ok: false });
    expect(checkRelease({ ...release, signature: { ...release.signature, value: 'AAAA' } }, signer.key, { sha256: release.sha256, size: FIRMWARE.length })).toMatchObject({ ok: false });
  });

  it('refuses a short download and an artifact release checked without its bytes', () => {
    const signer = workspaceKey();
    const release = signedRelease(signer);
    expect(checkRelease(release, signer.key, { sha256: release.sha256, size: FIRMWARE.length - 1 })).toEqual({ ok: false, reason: expect.stringMatching(/downloaded \d+ bytes/) });
    expect(checkRelease(release, signer.key)).toMatchObject({ ok: false, reason: expect.stringMatching(/needs its downloaded bytes/) });
  });
});
