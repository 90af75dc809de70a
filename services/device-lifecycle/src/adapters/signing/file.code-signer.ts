import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { SIGNATURE_ALGORITHM, type CodeSigningKey, type ReleaseSignature } from '@citus/contracts';
import type { CodeSigner } from '../../domain/release.model.js';
import { loadOrCreateKeyFile, privateDirectory } from '@citus/kit';

/** Workspace ids as the portal makes them; anything else never names a key file. */
const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface LoadedKey {
  privateKey: KeyObject;
  publicKey: CodeSigningKey;
}

/**
 * Each workspace's Ed25519 code-signing key as a PKCS#8 PEM file in `{dataDir}/signing` (the
 * directory 0700, each file 0600), made on first use. The private key never leaves this process;
 * backups of the data dir carry it, as they carry the device CA's key.
 */
export class FileCodeSigner implements CodeSigner {
  private readonly keys = new Map<string, LoadedKey>();

  constructor(private readonly dir: string) {}

  publicKey(workspaceId: string): CodeSigningKey {
    return this.keyOf(workspaceId).publicKey;
  }

  sign(workspaceId: string, message: string): ReleaseSignature {
    const { privateKey, publicKey } = this.keyOf(workspaceId);
    // Ed25519 hashes internally: no digest is named ([RFC 8032]).
    const value = sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64');
    return { algorithm: SIGNATURE_ALGORITHM, keyId: publicKey.keyId, value };
  }

  private keyOf(workspaceId: string): LoadedKey {
    const known = this.keys.get(workspaceId);
    if (known) return known;
    if (!WORKSPACE_ID.test(workspaceId)) throw new Error(`not a workspace id: ${JSON.stringify(workspaceId.slice(0, 80))}`);
    const file = join(privateDirectory(this.dir), `${workspaceId}.pem`);
    const pem = loadOrCreateKeyFile(file, () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('utf8');
    const privateKey = createPrivateKey(pem);
    const publicKeyObject = createPublicKey(privateKey);
    const spki = publicKeyObject.export({ type: 'spki', format: 'der' });
    const loaded: LoadedKey = {
      privateKey,
      publicKey: {
        algorithm: SIGNATURE_ALGORITHM,
        keyId: createHash('sha256').update(spki).digest('hex').slice(0, 32),
        publicKeyPem: publicKeyObject.export({ type: 'spki', format: 'pem' }).toString(),
      },
    };
    this.keys.set(workspaceId, loaded);
    return loaded;
  }
}
