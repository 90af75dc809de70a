import { randomBytes } from 'node:crypto';
import type { AccessContext, AccessResolver } from '@citus/kit';
import { AppError, badRequest, conflict, forbidden, newId, notFound } from '@citus/kit';
import type {
  AddMemberRequest,
  CreateUserRequest,
  CreateWorkspaceRequest,
  Me,
  Membership,
  TokenResponse,
  User,
  Workspace,
} from '@citus/contracts';
import {
  DEFAULT_WORKSPACE,
  type IdentityRepository,
  type TokenIssuer,
  type UserRecord,
} from '../domain/identity.model.js';
import { LoginThrottle } from '../domain/login.throttle.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../domain/password.hasher.js';

const toUser = (user: UserRecord): User => ({
  id: user.id,
  username: user.username,
  platformAdmin: user.platformAdmin,
  createdAt: user.createdAt,
});

/** Users, workspaces, roles and the embedded identity provider's login. */
export class IdentityService implements AccessResolver {
  constructor(
    private readonly repository: IdentityRepository,
    /** Absent in Auth0 mode, where Auth0 issues the tokens. */
    private readonly issuer: TokenIssuer | undefined,
    private readonly throttle = new LoginThrottle(),
  ) {}

  /**
   * First start: the `default` workspace and the platform admin `admin`, its admin. With the
   * embedded provider the password is `CITUS_ADMIN_PASSWORD`, else one made here and handed to
   * `keepGenerated` (never logged); with Auth0, `admin` is linked to the Auth0 user `auth0Subject`.
   * Returns whether `admin` was created.
   */
  async bootstrap(admin: { password?: string; auth0Subject?: string }, keepGenerated: (password: string) => void): Promise<boolean> {
    const workspace =
      this.repository.findWorkspaceBySlug(DEFAULT_WORKSPACE) ??
      this.createWorkspace({ slug: DEFAULT_WORKSPACE, name: 'Default workspace' });
    if (this.repository.findUserByUsername('admin')) return false;
    if (!this.issuer && !admin.auth0Subject) return false;
    const password = this.issuer ? (admin.password ?? randomBytes(15).toString('base64url')) : undefined;
    // Kept before the user exists: if keeping fails, the next start tries again with a new one.
    if (password && !admin.password) keepGenerated(password);
    const user = await this.createUser({ username: 'admin', password, externalId: admin.auth0Subject, platformAdmin: true });
    this.repository.putMembership({ workspaceId: workspace.id, userId: user.id, role: 'admin' });
    return true;
  }

  /** `client` is the caller's address: failures are counted per username and per address. */
  async issueToken(username: string, password: string, client = 'unknown'): Promise<TokenResponse> {
    if (!this.issuer) throw badRequest('this platform signs in through Auth0');
    const keys = [`user:${username}`, `client:${client}`];
    const wait = this.throttle.retryAfter(keys);
    if (wait > 0) {
      throw new AppError('too_many_requests', `too many failed logins: try again in ${Math.ceil(wait / 1000)} s`);
    }
    const user = this.repository.findUserByUsername(username);
    // Hash even for an unknown user, so timing does not tell which usernames exist.
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !user.passwordHash || !valid) {
      this.throttle.recordFailure(keys);
      throw new AppError('unauthorized', 'wrong username or password');
    }
    this.throttle.recordSuccess([`user:${username}`]);
    const { token, expiresIn } = await this.issuer.issue(user.subject);
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
  }

  async createUser(request: CreateUserRequest): Promise<User> {
    if (this.repository.findUserByUsername(request.username)) throw conflict('username already taken');
    if (this.issuer && !request.password) throw badRequest('a password is required');
    if (!this.issuer && !request.externalId) throw badRequest('externalId (the Auth0 user id) is required');
    const id = newId('usr');
    const user: UserRecord = {
      id,
      username: request.username,
      subject: this.issuer ? id : (request.externalId as string),
      passwordHash: request.password && this.issuer ? await hashPassword(request.password) : null,
      platformAdmin: request.platformAdmin,
      createdAt: new Date().toISOString(),
    };
    if (this.repository.findUserBySubject(user.subject)) throw conflict('externalId already linked to a user');
    // Hashing yields the event loop, so a racing request may have taken the name meanwhile.
    if (this.repository.findUserByUsername(user.username)) throw conflict('username already taken');
    this.repository.insertUser(user);
    return toUser(user);
  }

  listUsers(): User[] {
    return this.repository.listUsers().map(toUser);
  }

  createWorkspace(request: CreateWorkspaceRequest): Workspace {
    if (this.repository.findWorkspaceBySlug(request.slug)) throw conflict('workspace slug already taken');
    const workspace = { id: newId('ws'), slug: request.slug, name: request.name, createdAt: new Date().toISOString() };
    this.repository.insertWorkspace(workspace);
    return workspace;
  }

  /** Platform admins see every workspace, others those they belong to. */
  listWorkspaces(access: AccessContext): Workspace[] {
    const all = this.repository.listWorkspaces();
    if (access.platformAdmin) return all;
    const mine = new Set(this.repository.membershipsOf(access.userId).map((m) => m.workspaceId));
    return all.filter((workspace) => mine.has(workspace.id));
  }

  /** Only a platform admin or an admin of that workspace may change its members. */
  addMember(access: AccessContext, slug: string, request: AddMemberRequest): Membership {
    const workspace = this.repository.findWorkspaceBySlug(slug);
    const own = this.repository.membershipsOf(access.userId).find((m) => m.workspaceSlug === slug);
    if (!workspace || (!own && !access.platformAdmin)) throw notFound('workspace');
    if (!access.platformAdmin && own?.role !== 'admin') throw forbidden('requires the admin role');
    if (!this.repository.findUserById(request.userId)) throw notFound('user');
    this.repository.putMembership({ workspaceId: workspace.id, userId: request.userId, role: request.role });
    return { workspaceId: workspace.id, workspaceSlug: workspace.slug, userId: request.userId, role: request.role };
  }

  me(access: AccessContext): Me {
    const user = this.repository.findUserById(access.userId);
    if (!user) throw notFound('user');
    return { user: toUser(user), memberships: this.repository.membershipsOf(user.id) };
  }

  /**
   * The workspace a request acts in: the one it names, else `default` if the caller belongs to it,
   * else the caller's first. A workspace the caller does not belong to is "not found", never
   * "forbidden", so its existence does not leak. Platform admins act as admins anywhere.
   */
  async resolve(subject: string, slug: string | undefined): Promise<AccessContext | null> {
    const user = this.repository.findUserBySubject(subject);
    if (!user) return null;
    const memberships = this.repository.membershipsOf(user.id);
    const base = { userId: user.id, username: user.username, platformAdmin: user.platformAdmin };
    const wanted = slug ?? DEFAULT_WORKSPACE;
    const member = memberships.find((m) => m.workspaceSlug === wanted) ?? (slug ? undefined : memberships[0]);
    if (member) {
      const role = user.platformAdmin ? 'admin' : member.role;
      return { ...base, workspace: { id: member.workspaceId, slug: member.workspaceSlug, role } };
    }
    const workspace = user.platformAdmin ? this.repository.findWorkspaceBySlug(wanted) : undefined;
    if (workspace) return { ...base, workspace: { id: workspace.id, slug: workspace.slug, role: 'admin' } };
    if (slug) throw notFound('workspace');
    return { ...base, workspace: null };
  }
}
