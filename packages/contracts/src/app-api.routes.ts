import type { ApiRoute } from './api-route.js';
import {
  App,
  AppAuditTrail,
  AppList,
  AppPathParams,
  AppReviewQueue,
  AppVersion,
  AppVersionPathParams,
  MarketplacePage,
  MarketplaceQuery,
  RejectAppVersionRequest,
} from './app-api.schema.js';
import { AppManifest } from './app.schema.js';

const apps = { tag: 'apps', access: 'user', workspaceScoped: true } as const;
const byApp = { ...apps, params: AppPathParams } as const;
const byVersion = { ...apps, params: AppVersionPathParams } as const;
const review = { tag: 'apps', access: 'platform-admin', params: AppVersionPathParams } as const;

/**
 * Container apps (story 4): a developer of a workspace creates an app from a manifest and submits
 * each version; a platform admin approves or rejects it; an approved version may be published,
 * which lists it in the marketplace (story 8). Every change of status is kept in the audit trail.
 * An app of another workspace answers 404, like one that does not exist.
 */
export const APP_ROUTES: ApiRoute[] = [
  {
    ...apps,
    operationId: 'createApp',
    method: 'post',
    path: '/api/v1/apps',
    summary: 'Create an app and its first version, a draft (developer role)',
    body: AppManifest,
    responses: { 201: { description: 'The app', schema: App } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...apps,
    operationId: 'listApps',
    method: 'get',
    path: '/api/v1/apps',
    summary: "The workspace's apps, by name",
    responses: { 200: { description: 'Apps', schema: AppList } },
    errors: [401, 404],
  },
  {
    ...byApp,
    operationId: 'getApp',
    method: 'get',
    path: '/api/v1/apps/{appId}',
    summary: 'An app and all its versions',
    responses: { 200: { description: 'The app', schema: App } },
    errors: [400, 401, 404],
  },
  {
    ...byApp,
    operationId: 'createAppVersion',
    method: 'post',
    path: '/api/v1/apps/{appId}/versions',
    summary: 'Add a version, a draft (developer role)',
    description: "The manifest's `name` must be the app's, and its `version` new for the app. It goes through review like the first.",
    body: AppManifest,
    responses: { 201: { description: 'The version', schema: AppVersion } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...byVersion,
    operationId: 'submitAppVersion',
    method: 'post',
    path: '/api/v1/apps/{appId}/versions/{version}/submit',
    summary: 'Submit a draft for review (developer role)',
    responses: { 200: { description: 'The version, pending review', schema: AppVersion } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...byVersion,
    operationId: 'publishAppVersion',
    method: 'post',
    path: '/api/v1/apps/{appId}/versions/{version}/publish',
    summary: 'Publish an approved version: the marketplace lists it (developer role)',
    responses: { 200: { description: 'The version, published', schema: AppVersion } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...byApp,
    operationId: 'getAppAudit',
    method: 'get',
    path: '/api/v1/apps/{appId}/audit',
    summary: "Every change of the app's versions: who, when, from, to, why",
    responses: { 200: { description: 'The audit trail, oldest first', schema: AppAuditTrail } },
    errors: [400, 401, 404],
  },
  {
    tag: 'apps',
    access: 'platform-admin',
    operationId: 'listAppReviews',
    method: 'get',
    path: '/api/v1/reviews',
    summary: 'Versions of every workspace waiting for review, longest waiting first (platform admin)',
    responses: { 200: { description: 'The review queue', schema: AppReviewQueue } },
    errors: [401, 403],
  },
  {
    ...review,
    operationId: 'approveAppVersion',
    method: 'post',
    path: '/api/v1/apps/{appId}/versions/{version}/approve',
    summary: 'Approve a version pending review (platform admin)',
    responses: { 200: { description: 'The version, approved', schema: AppVersion } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...review,
    operationId: 'rejectAppVersion',
    method: 'post',
    path: '/api/v1/apps/{appId}/versions/{version}/reject',
    summary: 'Reject a version pending review, with the reason (platform admin)',
    body: RejectAppVersionRequest,
    responses: { 200: { description: 'The version, rejected', schema: AppVersion } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    tag: 'apps',
    access: 'user',
    operationId: 'listMarketplace',
    method: 'get',
    path: '/api/v1/marketplace',
    summary: 'Published apps of every workspace, by name: search their name and description, filter by category',
    query: MarketplaceQuery,
    responses: { 200: { description: 'A page of listings', schema: MarketplacePage } },
    errors: [400, 401],
  },
];
