import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import type { TokenIssuer } from '../../domain/identity.model.js';

export interface EmbeddedTokenIssuerOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * The embedded identity provider's signer: an ES256 key made on first start and kept in the data
 * dir (mode 0600). Its public half is the JWKS that the shared verifier checks tokens against.
 */
export class EmbeddedTokenIssuer implements TokenIssuer {
  private constructor(
    private readonly privateKey: Awaited<ReturnType<typeof importJWK>>,
    private readonly publicJwk: JWK,
    private readonly options: EmbeddedTokenIssuerOptions,
  ) {}

  static async loadOrCreate(file: string, options: EmbeddedTokenIssuerOptions): Promise<EmbeddedTokenIssuer> {
    if (!existsSync(file)) {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(privateKey);
      jwk.kid = await calculateJwkThumbprint(jwk);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    }
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    const { d: _private, ...publicJwk } = jwk;
    return new EmbeddedTokenIssuer(await importJWK(jwk, 'ES256'), { ...publicJwk, alg: 'ES256', use: 'sig' }, options);
  }

  get jwks(): JSONWebKeySet {
    return { keys: [this.publicJwk] };
  }

  async issue(subject: string): Promise<{ token: string; expiresIn: number }> {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid, typ: 'at+jwt' })
      .setSubject(subject)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.privateKey);
    return { token, expiresIn: this.options.ttlSeconds };
  }
}
