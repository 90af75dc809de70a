import type { z } from 'zod';
import type { ApiKeyScope } from './api-key.schema.js';

/**
 * Who may call a route:
 * - `public`: anyone;
 * - `device`: a device without an account, proving itself with the one-time activation code in the body;
 * - `user`: a signed-in person (bearer JWT), acting in their workspace;
 * - `workspace-admin`: an admin of the workspace the route names, or a platform admin;
 * - `platform-admin`: a platform admin.
 */
export type ApiAccess = 'public' | 'device' | 'user' | 'workspace-admin' | 'platform-admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Error statuses a route may answer, each with the `ErrorEnvelope` body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;

export interface ApiResponseSpec {
  description: string;
  /** The body; none for a bodiless answer such as 204. */
  schema?: z.ZodType;
  /** `application/json` unless given. */
  contentType?: string;
}

/** One operation of the public HTTP API, described well enough to generate its OpenAPI entry. */
export interface ApiRoute {
  /** Unique; generated clients name their methods after it. */
  operationId: string;
  method: HttpMethod;
  /** In OpenAPI form, from the server root: `/api/v1/devices/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: ApiAccess;
  /** Acts in the caller's workspace: the default one, or the one the `X-Citus-Workspace` header names. */
  workspaceScoped?: boolean;
  /**
   * API keys holding this scope may call the route too (`X-Api-Key`), as a `user` of their
   * workspace; without it, keys are refused (403). The route's handler applies the same scope
   * with kit's `requireScope`.
   */
  apiKeyScope?: ApiKeyScope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A body of bytes instead of JSON (an upload): its media type, and the gateway's size limit for this route. */
  upload?: { contentType: string; maxMegabytes: number };
  /** Answers other than the error envelope, by status. */
  responses: Partial<Record<number, ApiResponseSpec>>;
  errors: ErrorStatus[];
}

/** `/api/v1/devices/:id`, the form express routes use -> `/api/v1/devices/{id}`. */
export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
