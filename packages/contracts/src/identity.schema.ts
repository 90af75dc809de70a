import { z } from 'zod';

export const Role = z.enum(['user', 'developer', 'admin']);
export type Role = z.infer<typeof Role>;

/** Roles are ordered: each one may do everything the roles before it may. */
export const ROLE_RANK: Record<Role, number> = { user: 1, developer: 2, admin: 3 };

export const Username = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-" only');

export const Password = z.string().min(10, 'at least 10 characters').max(256);

export const TokenRequest = z.object({ username: Username, password: z.string().min(1).max(256) });
export type TokenRequest = z.infer<typeof TokenRequest>;

export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().positive(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const WorkspaceSlug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-" only');

export const CreateWorkspaceRequest = z.object({ slug: WorkspaceSlug, name: z.string().min(1).max(120) });
export type CreateWorkspaceRequest = z.infer<typeof CreateWorkspaceRequest>;

export const Workspace = z.object({
  id: z.string(),
  slug: WorkspaceSlug,
  name: z.string(),
  createdAt: z.string(),
});
export type Workspace = z.infer<typeof Workspace>;

export const CreateUserRequest = z.object({
  username: Username,
  password: Password.optional(),
  /** In Auth0 mode the user already exists there: its `sub`. */
  externalId: z.string().min(1).max(200).optional(),
  platformAdmin: z.boolean().default(false),
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

export const User = z.object({
  id: z.string(),
  username: Username,
  platformAdmin: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof User>;

export const AddMemberRequest = z.object({ userId: z.string().min(1), role: Role });
export type AddMemberRequest = z.infer<typeof AddMemberRequest>;

export const Membership = z.object({ workspaceId: z.string(), workspaceSlug: WorkspaceSlug, userId: z.string(), role: Role });
export type Membership = z.infer<typeof Membership>;

export const Me = z.object({ user: User, memberships: z.array(Membership) });
export type Me = z.infer<typeof Me>;
