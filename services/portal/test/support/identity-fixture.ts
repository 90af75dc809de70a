import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import type { AccessContext } from '@citus/kit';
import type { Role } from '@citus/contracts';
import { IdentityService } from '../../src/app/identity.service.js';
import { IDENTITY_MIGRATIONS, SqliteIdentityRepository } from '../../src/adapters/sqlite/identity.repository.js';
import { EmbeddedTokenIssuer } from '../../src/adapters/token/embedded-token.issuer.js';

export const ISSUER = 'urn:citus:test';
export const AUDIENCE = 'citus-api';
export const ADMIN_PASSWORD = 'admin-Passw0rd-for-tests';
export const USER_PASSWORD = 'correct horse battery staple';

export interface IdentityFixture {
  service: IdentityService;
  db: SqliteDatabase;
  issuer: EmbeddedTokenIssuer | undefined;
  /** Creates a user, optionally a member of workspaces (created when missing), and resolves its access there. */
  person(username: string, options?: { platformAdmin?: boolean; memberships?: Record<string, Role> }): Promise<Person>;
  destroy(): void;
}

export interface Person {
  id: string;
  subject: string;
  /** The access the user has when acting in `slug` (or its default workspace). */
  access(slug?: string): Promise<AccessContext>;
}

/** The identity service over a real SQLite file and, in embedded mode, the real token issuer. */
export async function identityFixture(mode: 'embedded' | 'auth0' = 'embedded'): Promise<IdentityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'citus-portal-'));
  const db = openDatabase(join(dir, 'identity.db'), { module: 'portal', migrations: IDENTITY_MIGRATIONS });
  const repository = new SqliteIdentityRepository(db);
  const issuer =
    mode === 'embedded'
      ? await EmbeddedTokenIssuer.loadOrCreate(join(dir, 'keys', 'token.jwk'), { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 600 })
      : undefined;
  const service = new IdentityService(repository, issuer);

  const person: IdentityFixture['person'] = async (username, options = {}) => {
    const user = await service.createUser({
      username,
      platformAdmin: options.platformAdmin ?? false,
      ...(issuer ? { password: USER_PASSWORD } : { externalId: `auth0|${username}` }),
    });
    for (const [slug, role] of Object.entries(options.memberships ?? {})) {
      const workspace = repository.findWorkspaceBySlug(slug) ?? service.createWorkspace({ slug, name: slug });
      repository.putMembership({ workspaceId: workspace.id, userId: user.id, role });
    }
    const subject = (repository.findUserById(user.id) as { subject: string }).subject;
    return {
      id: user.id,
      subject,
      async access(slug) {
        const access = await service.resolve(subject, slug);
        if (!access) throw new Error(`${username} did not resolve`);
        return access;
      },
    };
  };

  return {
    service,
    db,
    issuer,
    person,
    destroy() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
