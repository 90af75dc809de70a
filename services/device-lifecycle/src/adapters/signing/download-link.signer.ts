import { dirname } from 'node:path';
import { loadOrCreateSecretKey, privateDirectory } from '@citus/kit';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { DownloadGrant, DownloadLinkSigner } from '../../domain/release.model.js';

const AUDIENCE = 'citus:release-download';
const ALGORITHM = 'HS256';

/**
 * Download links as JWTs (jose, HS256) under a key of this installation's: kit's secret key file
 * (32 random bytes, 0600) in the data dir, made on first use. A link names the workspace, the release and the thing;
 * only this service makes and reads them, so a shared-secret MAC is enough.
 */
export class JwtDownloadLinkSigner implements DownloadLinkSigner {
  private key: Uint8Array | undefined;

  constructor(private readonly keyFile: string) {}

  async sign(grant: DownloadGrant, expiresAtMs: number): Promise<string> {
    return new SignJWT({ ws: grant.workspaceId, rel: grant.releaseId })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(grant.thingName)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAtMs / 1000))
      .sign(this.secret());
  }

  async verify(token: string): Promise<DownloadGrant | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.secret(), { audience: AUDIENCE, algorithms: [ALGORITHM], requiredClaims: ['exp', 'sub'] });
      const { ws, rel, sub } = payload;
      if (typeof ws !== 'string' || typeof rel !== 'string' || typeof sub !== 'string') return undefined;
      return { workspaceId: ws, releaseId: rel, thingName: sub };
    } catch (error) {
      // Expired, altered or not ours: all the same to the caller.
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }

  private secret(): Uint8Array {
    if (!this.key) {
      privateDirectory(dirname(this.keyFile));
      this.key = loadOrCreateSecretKey(this.keyFile);
    }
    return this.key;
  }
}
