import type { SealedSecret, SecretCipher } from '@citus/kit';

/**
 * Each value is bound to its deployment and purpose (the associated data), so a sealed value
 * copied into another row, or under another name, does not open. The API key is bound to its id
 * too: its id stays in clear (removal revokes by it), and a changed id must not pass with the key.
 */
const secretContext = (deploymentId: string, name: string): string => `deployment:${deploymentId}:secret:${name}`;
const apiKeyContext = (deploymentId: string, keyId: string): string => `deployment:${deploymentId}:api-key:${keyId}`;

/** A sealed value as one text column: `nonce.ciphertext.tag`, each in base64. */
function encode(sealed: SealedSecret): string {
  return [sealed.nonce, sealed.ciphertext, sealed.tag].map((part) => part.toString('base64')).join('.');
}

function decode(text: string): SealedSecret {
  const parts = text.split('.');
  if (parts.length !== 3) throw new Error('not a sealed value');
  const [nonce, ciphertext, tag] = parts.map((part) => Buffer.from(part, 'base64')) as [Buffer, Buffer, Buffer];
  return { nonce, ciphertext, tag };
}

/**
 * Seals a deployment's secret values and API key for `apps.db`, and opens them again. The secrets'
 * names stay in clear (views list them; the manifest declares them anyway); only values are sealed.
 */
export class DeploymentSecretsSealer {
  constructor(private readonly cipher: SecretCipher) {}

  /** The `secret_env` column: a JSON object of name -> sealed value. */
  sealSecrets(deploymentId: string, secrets: Record<string, string>): string {
    const sealed = Object.entries(secrets).map(([name, value]) => [name, encode(this.cipher.seal(value, secretContext(deploymentId, name)))]);
    return JSON.stringify(Object.fromEntries(sealed));
  }

  /** Throws when a value does not open: sealed under another key, for another deployment or name, or changed. */
  openSecrets(deploymentId: string, column: string): Record<string, string> {
    const sealed = JSON.parse(column) as Record<string, string>;
    return Object.fromEntries(Object.entries(sealed).map(([name, text]) => [name, this.cipher.open(decode(text), secretContext(deploymentId, name))]));
  }

  sealApiKey(deploymentId: string, apiKey: { keyId: string; key: string }): string {
    return encode(this.cipher.seal(apiKey.key, apiKeyContext(deploymentId, apiKey.keyId)));
  }

  openApiKey(deploymentId: string, keyId: string, column: string): string {
    return this.cipher.open(decode(column), apiKeyContext(deploymentId, keyId));
  }
}

/** The names of a `secret_env` column's secrets, without opening their values. */
export const secretNamesOf = (column: string): string[] => Object.keys(JSON.parse(column) as Record<string, unknown>);
