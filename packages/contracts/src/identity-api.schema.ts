import { z } from 'zod';
import { User, Workspace, WorkspaceSlug } from './identity.schema.js';

/** `GET /api/v1/users`: every user, for platform admins. */
export const UserList = z.object({ items: z.array(User) });
export type UserList = z.infer<typeof UserList>;

/** `GET /api/v1/workspaces`: the caller's workspaces (every one, for platform admins). */
export const WorkspaceList = z.object({ items: z.array(Workspace) });
export type WorkspaceList = z.infer<typeof WorkspaceList>;

export const WorkspacePathParams = z.object({ slug: WorkspaceSlug });
export type WorkspacePathParams = z.infer<typeof WorkspacePathParams>;

/** A public key as RFC 7517 describes it; members beyond these depend on the key type. */
export const PublicJwk = z.looseObject({
  kty: z.string(),
  kid: z.string().optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
});

/** The embedded identity provider's verification keys (RFC 7517 section 5). */
export const JsonWebKeySet = z.object({ keys: z.array(PublicJwk) });
export type JsonWebKeySet = z.infer<typeof JsonWebKeySet>;
