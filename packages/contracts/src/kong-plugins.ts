import { API_KEY_HEADER } from './api-key.schema.js';

/** A Kong plugin entry of the declarative config. */
export interface KongPlugin {
  name: string;
  config: Record<string, unknown>;
}

/**
 * Kong's declarative config substitutes nothing: this placeholder is replaced from the environment
 * by whatever starts Kong. Left as it is, it is a CORS origin no browser sends, so CORS stays closed.
 */
export const PORTAL_ORIGIN_PLACEHOLDER = '${CITUS_PORTAL_ORIGIN}';

/**
 * The consumer every request without a Kong-known key runs as. Kong holds no API keys: the platform
 * makes them at run time, shows each once and stores it hashed, and a DB-less Kong only learns
 * credentials from this file, which is in the repository; so no key belongs here. Kong's key-auth
 * therefore passes every caller on as this consumer and the platform checks the key (or the bearer
 * token) itself. A deployment that gives Kong consumers of its own keeps their keys out of this file.
 */
export const ANONYMOUS_CONSUMER = 'anonymous';

/** The general request budget, per client address. */
const RATE_LIMIT = { minute: 600 } as const;

/**
 * Stricter budgets for single operations, by operationId. Sign-in is where passwords are guessed;
 * the platform also throttles failed logins per username and address, but behind Kong it sees
 * Kong's address, so the gateway's per-address limit is the one that tells clients apart.
 */
export const OPERATION_RATE_LIMITS: Readonly<Record<string, { minute: number; hour: number }>> = {
  issueToken: { minute: 10, hour: 100 },
};

/** Largest request body through the gateway: above the platform's own 256 KB JSON limit, so its 413 envelope answers first. */
const BODY_LIMIT_MB = 1;

/**
 * Deployed apps behind `/apps/{workspace}/{app}/` take whatever their own forms and uploads need;
 * the platform passes those bodies through unread, and each app applies its own limit inside.
 */
export const APP_PROXY_BODY_LIMIT_MB = 8;

/** Only the header: `key_in_query` would put keys in access logs and browser history. */
export function keyAuth(): KongPlugin {
  return {
    name: 'key-auth',
    config: {
      key_names: [headerName(API_KEY_HEADER)],
      key_in_header: true,
      key_in_query: false,
      key_in_body: false,
      // The platform reads the key again and applies the route's scope.
      hide_credentials: false,
      anonymous: ANONYMOUS_CONSUMER,
      run_on_preflight: false,
    },
  };
}

/**
 * Per client address: every caller runs as the one anonymous consumer (see ANONYMOUS_CONSUMER),
 * so a per-consumer limit would put everybody in one bucket. `local` needs no shared store; each
 * Kong node counts on its own.
 */
export function rateLimiting(limits: Record<string, number> = RATE_LIMIT): KongPlugin {
  return {
    name: 'rate-limiting',
    config: { ...limits, limit_by: 'ip', policy: 'local', fault_tolerant: true, hide_client_headers: false },
  };
}

export function requestSizeLimiting(megabytes = BODY_LIMIT_MB): KongPlugin {
  return {
    name: 'request-size-limiting',
    // Chunked bodies carry no content-length and are counted as they arrive.
    config: { allowed_payload_size: megabytes, size_unit: 'megabytes', require_content_length: false },
  };
}

/**
 * The portal's origin only, for a portal served apart from the gateway (the built-in web UI at `/`
 * is same-origin and needs none). No credentials mode: the portal sends a bearer token, never cookies.
 */
export function cors(): KongPlugin {
  return {
    name: 'cors',
    config: {
      origins: [PORTAL_ORIGIN_PLACEHOLDER],
      // The methods a cross-origin request may use; the preflight's own OPTIONS is not one of them.
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      headers: ['Authorization', 'Content-Type', 'X-Citus-Workspace', 'X-Request-Id'],
      exposed_headers: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
      credentials: false,
      max_age: 600,
      preflight_continue: false,
    },
  };
}

/** `x-api-key` -> `X-Api-Key`: Kong matches header names without case; the capitals are for readers. */
function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}
