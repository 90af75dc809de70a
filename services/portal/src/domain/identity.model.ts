import type { Role } from '@citus/contracts';

export interface UserRecord {
  id: string;
  username: string;
  /** The `sub` of this user's tokens: the user id for the embedded provider, the Auth0 user id otherwise. */
  subject: string;
  passwordHash: string | null;
  platformAdmin: boolean;
  createdAt: string;
}

export interface WorkspaceRecord {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
}

export interface MembershipRecord {
  workspaceId: string;
  workspaceSlug: string;
  userId: string;
  role: Role;
}

/** Port: where users, workspaces and memberships are kept. */
export interface IdentityRepository {
  findUserByUsername(username: string): UserRecord | undefined;
  findUserBySubject(subject: string): UserRecord | undefined;
  findUserById(id: string): UserRecord | undefined;
  listUsers(): UserRecord[];
  insertUser(user: UserRecord): void;
  findWorkspaceBySlug(slug: string): WorkspaceRecord | undefined;
  listWorkspaces(): WorkspaceRecord[];
  insertWorkspace(workspace: WorkspaceRecord): void;
  /** Adds or changes a membership. */
  putMembership(membership: Omit<MembershipRecord, 'workspaceSlug'>): void;
  membershipsOf(userId: string): MembershipRecord[];
}

/** Port: issues the platform's own access tokens (embedded mode only). */
export interface TokenIssuer {
  issue(subject: string): Promise<{ token: string; expiresIn: number }>;
}

export const DEFAULT_WORKSPACE = 'default';
