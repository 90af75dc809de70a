import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import {
  type AppKeyIssuer,
  auth0Verifier,
  authenticate,
  bearerResolver,
  type BearerResolver,
  createJwtVerifier,
  localKeys,
  type Service,
  type ServiceContext,
  type TokenVerifier,
} from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { ApiKeyService } from './app/api-key.service.js';
import { IdentityService } from './app/identity.service.js';
import { apiKeyRoutes } from './adapters/http/api-key.routes.js';
import { identityRoutes } from './adapters/http/identity.routes.js';
import { internalRoutes } from './adapters/http/internal.routes.js';
import { webRoutes } from './adapters/http/web.routes.js';
import { SqliteApiKeyRepository } from './adapters/sqlite/api-key.repository.js';
import { IDENTITY_MIGRATIONS, SqliteIdentityRepository } from './adapters/sqlite/identity.repository.js';
import { EmbeddedTokenIssuer } from './adapters/token/embedded-token.issuer.js';
import type { PortalConfig } from './config.js';

export type PortalContext = Omit<ServiceContext, 'authenticate'> & { config: PortalConfig };

export interface PortalService extends Service {
  /** The one middleware every service uses to authenticate people (bearer tokens) and API keys. */
  authenticate: RequestHandler;
  /** The same check for a token that arrives another way (MQTT over WebSocket). */
  resolveBearer: BearerResolver;
  /** API keys for app deployments. */
  appKeys: AppKeyIssuer;
}

/** Wires the portal: identity store, token issuer or Auth0, the shared verifier, routes and UI. */
export async function createService(ctx: PortalContext): Promise<PortalService> {
  const { config } = ctx;
  const db = openDatabase(join(ctx.dataDir, 'identity.db'), { module: 'portal', migrations: IDENTITY_MIGRATIONS });
  ctx.shutdown.add('identity store', () => void db.close());

  const auth0 = config.AUTH0_DOMAIN && config.AUTH0_AUDIENCE ? { domain: config.AUTH0_DOMAIN, audience: config.AUTH0_AUDIENCE } : undefined;
  let issuer: EmbeddedTokenIssuer | undefined;
  let verifier: TokenVerifier;
  if (auth0) {
    verifier = auth0Verifier(auth0.domain, auth0.audience);
  } else {
    issuer = await EmbeddedTokenIssuer.loadOrCreate(join(ctx.dataDir, 'identity', 'token-signing.jwk'), {
      issuer: config.CITUS_TOKEN_ISSUER,
      audience: config.CITUS_TOKEN_AUDIENCE,
      ttlSeconds: config.CITUS_TOKEN_TTL_SECONDS,
    });
    verifier = createJwtVerifier({
      keys: localKeys(issuer.jwks),
      issuer: config.CITUS_TOKEN_ISSUER,
      audience: config.CITUS_TOKEN_AUDIENCE,
    });
  }

  const identity = new IdentityService(new SqliteIdentityRepository(db), issuer);
  const log = ctx.logger.child({ module: 'portal' });
  const passwordFile = join(ctx.dataDir, 'identity', 'initial-admin-password');
  const admin = { password: config.CITUS_ADMIN_PASSWORD, auth0Subject: config.CITUS_ADMIN_AUTH0_SUBJECT };
  const created = await identity.bootstrap(admin, (password) =>
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 }),
  );
  if (created) log.info({ file: config.CITUS_ADMIN_PASSWORD ? undefined : passwordFile }, 'platform admin "admin" created');
  log.info({ identityProvider: auth0 ? 'auth0' : 'embedded' }, 'identity ready');
  const resolveBearer = bearerResolver(verifier, identity);
  const apiKeys = new ApiKeyService(new SqliteApiKeyRepository(db));
  const resolveKey = (key: string, slug?: string) => apiKeys.resolve(key, slug);
  const guard = authenticate(resolveBearer, resolveKey);
  const apiRoutes = Router().use(identityRoutes(identity, guard), apiKeyRoutes(apiKeys, guard));
  return {
    name: 'portal',
    authenticate: guard,
    resolveBearer,
    appKeys: apiKeys,
    internalRoutes: internalRoutes({ resolveBearer, resolveKey, appKeys: apiKeys }),
    apiRoutes,
    rootRoutes: webRoutes(issuer?.jwks),
  };
}
