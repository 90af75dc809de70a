import { z } from 'zod';

/** A data URI icon is sent with every listing: 64 KiB keeps a marketplace page small. */
export const MAX_ICON_CHARS = 64 * 1024;
export const MAX_APP_MEMORY_MB = 4096;
export const MIN_APP_MEMORY_MB = 16;
export const MAX_APP_CPU_MILLICORES = 4000;
export const MIN_APP_CPU_MILLICORES = 10;
export const MAX_APP_ENV_VARS = 100;
export const MAX_ENV_VALUE_CHARS = 4096;

/** An app's name: unique in its workspace, and the `{app}` of its URL `/apps/{workspace}/{app}/`. */
export const AppName = z
  .string()
  .min(2, 'at least 2 characters')
  .max(48, 'at most 48 characters')
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and "-" only, starting and ending with a letter or digit');
export type AppName = z.infer<typeof AppName>;

export const AppId = z.string().regex(/^app_[0-9a-f]{24}$/, 'an app id (app_ and 24 hex digits)');
export type AppId = z.infer<typeof AppId>;

/** Semantic Versioning 2.0.0 (build metadata left out: it would make two equal versions differ). */
export const AppVersionLabel = z
  .string()
  .max(64, 'at most 64 characters')
  .regex(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
    'a semantic version such as 1.2.0 or 2.0.0-rc.1',
  );
export type AppVersionLabel = z.infer<typeof AppVersionLabel>;

export const AppCategory = z.enum(['analytics', 'automation', 'dashboards', 'integrations', 'monitoring', 'utilities']);
export type AppCategory = z.infer<typeof AppCategory>;

/** What an app may do with the platform's API in the workspace that runs it; its API key carries exactly these. */
export const AppScope = z.enum(['devices:read', 'telemetry:read', 'shadows:read', 'shadows:write', 'jobs:read', 'jobs:write']);
export type AppScope = z.infer<typeof AppScope>;

const DATA_URI_ICON = /^data:image\/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$/;

/** An https URL, or a base64 data URI of a PNG, JPEG, GIF, WebP or SVG image. */
export const AppIcon = z
  .string()
  .max(MAX_ICON_CHARS, `at most ${MAX_ICON_CHARS} characters`)
  .refine((icon) => DATA_URI_ICON.test(icon) || isHttpsUrl(icon), 'an https URL or a base64 data:image/... URI');

function isHttpsUrl(value: string): boolean {
  if (!value.startsWith('https://') || value.length > 2048) return false;
  return URL.canParse(value);
}

// The grammar of github.com/distribution/reference: an optional registry host (with port), path
// components of lowercase alphanumerics joined by separators, then `:tag` and/or `@sha256:digest`.
const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const IMAGE_REFERENCE = new RegExp(
  String.raw`^(?<repository>${DOMAIN}${COMPONENT}(?:/${COMPONENT})*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$`,
);

export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

/** Splits `repo[:tag][@sha256:...]`; `undefined` when it is no valid reference. */
export function parseImageReference(reference: string): ImageReference | undefined {
  if (reference.length > 512) return undefined;
  const groups = IMAGE_REFERENCE.exec(reference)?.groups;
  if (!groups?.repository || groups.repository.length > 255) return undefined;
  return {
    repository: groups.repository,
    ...(groups.tag ? { tag: groups.tag } : {}),
    ...(groups.digest ? { digest: groups.digest } : {}),
  };
}

export const ImageReferenceText = z
  .string()
  .refine((reference) => parseImageReference(reference) !== undefined, 'an image reference: repo[:tag][@sha256:<64 hex digits>]');

/** `PORT` and `HOST` (where to listen) are the platform's to set, and `CITUS_*` carries what the platform gives the app (its API key). */
export const EnvName = z
  .string()
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and "_", not starting with a digit')
  .refine((name) => name !== 'PORT' && name !== 'HOST' && !name.startsWith('CITUS_'), 'PORT, HOST and CITUS_* are set by the platform');

/** An absolute URL path without query or fragment. */
export const UrlPath = z
  .string()
  .max(256, 'at most 256 characters')
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'an absolute path such as /healthz, without query or fragment');

/**
 * How the app is reached: what speaks on its port, and which port that is inside its container.
 * Without `containerPort` the platform chooses one and passes it in `$PORT` (as most PaaS do); an
 * image that listens on a fixed port (nginx-unprivileged on 8080, say) names it, and `$PORT` says the same.
 */
export const AppPort = z
  .object({
    protocol: z.literal('http', 'only http is served'),
    containerPort: z.number().int().min(1, 'a port from 1 to 65535').max(65_535, 'a port from 1 to 65535').optional(),
  })
  .strict();
export type AppPort = z.infer<typeof AppPort>;

export const AppHealthCheck = z
  .object({
    /** Answered with 2xx by a healthy app on `$PORT`. */
    path: UrlPath.default('/healthz'),
    intervalSeconds: z.number().int().min(5).max(300).default(15),
    timeoutSeconds: z.number().int().min(1).max(60).default(5),
    retries: z.number().int().min(1).max(10).default(3),
  })
  .strict()
  .refine((check) => check.timeoutSeconds < check.intervalSeconds, {
    message: 'timeoutSeconds must be shorter than intervalSeconds',
    path: ['timeoutSeconds'],
  });
export type AppHealthCheck = z.infer<typeof AppHealthCheck>;

export const AppResources = z
  .object({
    memoryMb: z.number().int().min(MIN_APP_MEMORY_MB).max(MAX_APP_MEMORY_MB, `at most ${MAX_APP_MEMORY_MB} MB`).default(256),
    cpuMillicores: z
      .number()
      .int()
      .min(MIN_APP_CPU_MILLICORES)
      .max(MAX_APP_CPU_MILLICORES, `at most ${MAX_APP_CPU_MILLICORES} millicores`)
      .default(500),
  })
  .strict();
export type AppResources = z.infer<typeof AppResources>;

const unique = <T>(items: readonly T[]): boolean => new Set(items).size === items.length;

/** One version of an app, as its developer submits it for review. */
export const AppManifest = z
  .object({
    name: AppName,
    version: AppVersionLabel,
    description: z.string().trim().min(1, 'a description is required').max(2000, 'at most 2000 characters'),
    icon: AppIcon.optional(),
    category: AppCategory,
    image: ImageReferenceText,
    port: AppPort.default({ protocol: 'http' }),
    /** Plain values, the same for every deployment. */
    env: z.record(z.string(), z.string().max(MAX_ENV_VALUE_CHARS, `at most ${MAX_ENV_VALUE_CHARS} characters`)).default({}),
    /** Names only: each deployment sets their values, which the API never returns. */
    secrets: z.array(EnvName).max(MAX_APP_ENV_VARS).refine(unique, 'a secret is named twice').default([]),
    resources: AppResources.default({ memoryMb: 256, cpuMillicores: 500 }),
    healthCheck: AppHealthCheck.default({ path: '/healthz', intervalSeconds: 15, timeoutSeconds: 5, retries: 3 }),
    scopes: z.array(AppScope).max(AppScope.options.length).refine(unique, 'a scope is named twice').default([]),
    /** The app's own path that `/apps/{workspace}/{app}/` leads to. */
    routePrefix: UrlPath.refine((path) => path.endsWith('/'), 'must end with "/"').default('/'),
    /** Off only for apps that must write outside `/tmp`. */
    readOnlyRootFilesystem: z.boolean().default(true),
  })
  .strict()
  .superRefine((manifest, context) => {
    const plain = Object.keys(manifest.env);
    // Checked here rather than as the record's key schema, which would only say "Invalid key in record".
    for (const name of plain) {
      for (const issue of EnvName.safeParse(name).error?.issues ?? []) {
        context.addIssue({ code: 'custom', message: `${name}: ${issue.message}`, path: ['env', name] });
      }
    }
    if (plain.length + manifest.secrets.length > MAX_APP_ENV_VARS) {
      context.addIssue({ code: 'custom', message: `at most ${MAX_APP_ENV_VARS} variables, plain and secret together`, path: ['env'] });
    }
    for (const name of manifest.secrets.filter((secret) => plain.includes(secret))) {
      context.addIssue({ code: 'custom', message: `${name} is both a plain and a secret variable`, path: ['secrets'] });
    }
  });
export type AppManifest = z.infer<typeof AppManifest>;

/** draft -> pending_review -> approved | rejected; approved -> published. */
export const AppVersionStatus = z.enum(['draft', 'pending_review', 'approved', 'rejected', 'published']);
export type AppVersionStatus = z.infer<typeof AppVersionStatus>;

/** What can be done to a version; a 409 names the ones its status allows. */
export const AppVersionAction = z.enum(['submit', 'approve', 'reject', 'publish']);
export type AppVersionAction = z.infer<typeof AppVersionAction>;
