import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtDownloadLinkSigner } from '../src/adapters/signing/download-link.signer.js';

const GRANT = { workspaceId: 'ws_a', releaseId: 'rel_000000000000000000000001', thingName: 'boiler-1' };

describe('download link tokens (jose HS256, a real key file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-links-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back the grant it signed, also after a restart (the key is kept, 0600)', async () => {
    const file = join(dir, 'signing', 'download-links.key');
    const token = await new JwtDownloadLinkSigner(file).sign(GRANT, Date.now() + 60_000);
    await expect(new JwtDownloadLinkSigner(file).verify(token)).resolves.toEqual(GRANT);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses an expired token, an altered one, and one made under another key', async () => {
    const signer = new JwtDownloadLinkSigner(join(dir, 'a.key'));
    await expect(signer.verify(await signer.sign(GRANT, Date.now() - 5_000))).resolves.toBeUndefined();
    const token = await signer.sign(GRANT, Date.now() + 60_000);
    const [header, payload, mac] = token.split('.') as [string, string, string];
    const otherThing = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'boiler-2' })).toString('base64url');
    await expect(signer.verify(`${header}.${otherThing}.${mac}`)).resolves.toBeUndefined();
    await expect(new JwtDownloadLinkSigner(join(dir, 'b.key')).verify(token)).resolves.toBeUndefined();
    await expect(signer.verify('not.a.token')).resolves.toBeUndefined();
  });
});
