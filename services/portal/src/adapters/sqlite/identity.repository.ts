import type { Role } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import { API_KEY_MIGRATION } from './api-key.repository.js';
import type { IdentityRepository, MembershipRecord, UserRecord, WorkspaceRecord } from '../../domain/identity.model.js';

export const IDENTITY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL UNIQUE,
        password_hash TEXT,
        platform_admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE memberships (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'developer', 'admin')),
        PRIMARY KEY (workspace_id, user_id)
      );`,
  },
  API_KEY_MIGRATION,
];

interface UserRow {
  id: string;
  username: string;
  subject: string;
  password_hash: string | null;
  platform_admin: number;
  created_at: string;
}

const toUser = (row: UserRow | undefined): UserRecord | undefined =>
  row && {
    id: row.id,
    username: row.username,
    subject: row.subject,
    passwordHash: row.password_hash,
    platformAdmin: row.platform_admin === 1,
    createdAt: row.created_at,
  };

const WORKSPACE_COLUMNS = 'id, slug, name, created_at AS createdAt';

export class SqliteIdentityRepository implements IdentityRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      userByUsername: db.prepare('SELECT * FROM users WHERE username = ?'),
      userBySubject: db.prepare('SELECT * FROM users WHERE subject = ?'),
      userById: db.prepare('SELECT * FROM users WHERE id = ?'),
      users: db.prepare('SELECT * FROM users ORDER BY username'),
      insertUser: db.prepare(
        `INSERT INTO users (id, username, subject, password_hash, platform_admin, created_at)
         VALUES (@id, @username, @subject, @passwordHash, @platformAdmin, @createdAt)`,
      ),
      workspaceBySlug: db.prepare(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces WHERE slug = ?`),
      workspaces: db.prepare(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces ORDER BY slug`),
      insertWorkspace: db.prepare(
        'INSERT INTO workspaces (id, slug, name, created_at) VALUES (@id, @slug, @name, @createdAt)',
      ),
      putMembership: db.prepare(
        `INSERT INTO memberships (workspace_id, user_id, role) VALUES (@workspaceId, @userId, @role)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role`,
      ),
      membershipsOf: db.prepare(
        `SELECT m.workspace_id AS workspaceId, w.slug AS workspaceSlug, m.user_id AS userId, m.role
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
         WHERE m.user_id = ? ORDER BY w.slug`,
      ),
    };
  }

  findUserByUsername(username: string): UserRecord | undefined {
    return toUser(this.statements.userByUsername.get(username) as UserRow | undefined);
  }

  findUserBySubject(subject: string): UserRecord | undefined {
    return toUser(this.statements.userBySubject.get(subject) as UserRow | undefined);
  }

  findUserById(id: string): UserRecord | undefined {
    return toUser(this.statements.userById.get(id) as UserRow | undefined);
  }

  listUsers(): UserRecord[] {
    return (this.statements.users.all() as UserRow[]).map((row) => toUser(row) as UserRecord);
  }

  insertUser(user: UserRecord): void {
    this.statements.insertUser.run({ ...user, platformAdmin: user.platformAdmin ? 1 : 0 });
  }

  findWorkspaceBySlug(slug: string): WorkspaceRecord | undefined {
    return this.statements.workspaceBySlug.get(slug) as WorkspaceRecord | undefined;
  }

  listWorkspaces(): WorkspaceRecord[] {
    return this.statements.workspaces.all() as WorkspaceRecord[];
  }

  insertWorkspace(workspace: WorkspaceRecord): void {
    this.statements.insertWorkspace.run(workspace);
  }

  putMembership(membership: { workspaceId: string; userId: string; role: Role }): void {
    this.statements.putMembership.run(membership);
  }

  membershipsOf(userId: string): MembershipRecord[] {
    return this.statements.membershipsOf.all(userId) as MembershipRecord[];
  }
}
