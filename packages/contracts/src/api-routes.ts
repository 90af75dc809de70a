import type { z } from 'zod';
import { AsyncApiDocument, OpenApiDocument } from './api-document.schema.js';
import type { ApiRoute } from './api-route.js';
import { ActivationCodeRenewal } from './device-api.schema.js';
import { DEVICE_ROUTES } from './device-api.routes.js';
import {
  ActivationRequest,
  ActivationResponse,
  DeclaredDevice,
  DeclareDeviceRequest,
  Device,
  DeviceList,
  UpdateDeviceRequest,
} from './device.schema.js';
import { ErrorEnvelope } from './error.schema.js';
import { Health } from './health.schema.js';
import { JsonWebKeySet, UserList, WorkspaceList } from './identity-api.schema.js';
import { IDENTITY_ROUTES } from './identity-api.routes.js';
import { API_KEY_ROUTES } from './api-key.routes.js';
import { ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey } from './api-key.schema.js';
import {
  AddMemberRequest,
  CreateUserRequest,
  CreateWorkspaceRequest,
  Me,
  Membership,
  TokenRequest,
  TokenResponse,
  User,
  Workspace,
} from './identity.schema.js';
import { DeadLetterSummary, TelemetryStreamEvent } from './telemetry-api.schema.js';
import { TELEMETRY_ROUTES } from './telemetry-api.routes.js';
import { TELEMETRY_QUERY_ROUTES } from './telemetry-query.routes.js';
import { TelemetryAggregates, TelemetryLatest } from './telemetry-query.schema.js';
import { TelemetryPage } from './telemetry.schema.js';
import { CancelJobRequest, CreateJobRequest, CreateJobResponse, Job, JobEventPage, JobExecutionList, JobList, PauseJobRequest } from './jobs-api.schema.js';
import { JOBS_ROUTES } from './jobs-api.routes.js';
import {
  ClaimCertificate,
  CreateProvisioningTemplateRequest,
  IssuedClaimCertificate,
  ProvisioningTemplate,
  ProvisioningTemplateList,
} from './provisioning-api.schema.js';
import { PROVISIONING_ROUTES } from './provisioning-api.routes.js';
import { POLICY_ROUTES } from './policy-api.routes.js';
import { TOPIC_RULE_ROUTES } from './topic-rule-api.routes.js';
import { CreatedTopicRule, CreateTopicRuleRequest, ReplaceTopicRuleRequest, RuleAction, RuleErrorMessage, TopicRule, TopicRuleList } from './topic-rule.schema.js';
import { THING_GROUP_ROUTES } from './thing-group-api.routes.js';
import { CreateThingGroupRequest, ThingGroup, ThingGroupList, ThingGroupMembers } from './thing-group.schema.js';
import { RETENTION_ROUTES } from './retention.routes.js';
import { RetentionSetting, RetentionUpdateRequest } from './retention.schema.js';
import { CreatePolicyRequest, Policy, PolicyDocument, PolicyList, UpdatePolicyRequest } from './policy.schema.js';

import { SHADOW_ROUTES } from './shadow-api.routes.js';
import { SEARCH_ROUTES } from './search.routes.js';
import { SearchResults } from './search.schema.js';
import { APP_ROUTES } from './app-api.routes.js';
import { App, AppAuditTrail, AppList, AppPolicy, AppReviewQueue, AppVersion, MarketplacePage, RejectAppVersionRequest } from './app-api.schema.js';
import { AppManifest } from './app.schema.js';
import { APP_DEPLOYMENT_ROUTES } from './app-api-deployment.routes.js';
import { CreateDeploymentRequest, Deployment, DeploymentList, ScaleDeploymentRequest, UpdateDeploymentRequest } from './app-api-deployment.schema.js';
import { AppWebhook, DockerHubPushPayload, InstallAppRequest, WebhookDelivery } from './app-api-delivery.schema.js';
import { ANALYTICS_ROUTES } from './analytics-api.routes.js';
import { AnomalyPage, AnomalySettings, AnomalyStreamEvent, SeriesSettings, SeriesSettingsUpdate } from './anomaly.schema.js';
import { SECRET_ROUTES } from './secret-api.routes.js';
import { PutSecretRequest, Secret, SecretList } from './secret.schema.js';
import { ALERT_ROUTES } from './alert-api.routes.js';
import { AlertRule, AlertRuleList, AlertRuleRequest } from './alert-rule.schema.js';
import { ANALYSER_ROUTES } from './analyser-api.routes.js';
import { Analyser, AnalyserList, AnalyserRequest } from './analyser.schema.js';
import { RELEASE_ROUTES } from './release-api.routes.js';
import { CodeSigningKey, CreateDownloadLinkRequest, CreateReleaseRequest, DownloadLink, Release, ReleaseEventPage, ReleaseList } from './release.schema.js';
import { ShadowDeleteAccepted, ShadowDocument, ShadowUpdateAccepted, ShadowUpdateRequest } from './shadow.schema.js';

/** Health and the API's own descriptions. */
export const PLATFORM_ROUTES: ApiRoute[] = [
  {
    operationId: 'getHealth',
    method: 'get',
    path: '/healthz',
    summary: 'Whether every part of the platform is ready',
    tag: 'platform',
    access: 'public',
    responses: {
      200: { description: 'Every part is ready', schema: Health },
      503: { description: 'Starting, stopping, or a part is not ready', schema: Health },
    },
    errors: [],
  },
  {
    operationId: 'getOpenApiDocument',
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document: the REST API in OpenAPI 3.1',
    tag: 'platform',
    access: 'public',
    responses: { 200: { description: 'An OpenAPI 3.1 document', schema: OpenApiDocument } },
    errors: [],
  },
  {
    operationId: 'getAsyncApiDocument',
    method: 'get',
    path: '/api/v1/asyncapi.json',
    summary: 'The MQTT topics devices use, in AsyncAPI 3.0',
    tag: 'platform',
    access: 'public',
    responses: { 200: { description: 'An AsyncAPI 3.0 document', schema: AsyncApiDocument } },
    errors: [],
  },
];

/** Every route the platform serves over HTTP: the drift test checks express serves exactly these. */
export const API_ROUTES: readonly ApiRoute[] = [...PLATFORM_ROUTES, ...IDENTITY_ROUTES, ...API_KEY_ROUTES, ...DEVICE_ROUTES, ...RELEASE_ROUTES, ...TELEMETRY_ROUTES, ...RETENTION_ROUTES, ...TELEMETRY_QUERY_ROUTES, ...POLICY_ROUTES, ...TOPIC_RULE_ROUTES, ...THING_GROUP_ROUTES, ...PROVISIONING_ROUTES, ...SHADOW_ROUTES, ...JOBS_ROUTES, ...SEARCH_ROUTES, ...APP_ROUTES, ...APP_DEPLOYMENT_ROUTES, ...ANALYTICS_ROUTES, ...SECRET_ROUTES, ...ALERT_ROUTES, ...ANALYSER_ROUTES];

/**
 * The API's named schemas, each `#/components/schemas/{name}` in the OpenAPI document. Every
 * request and response body of `API_ROUTES` is one of these.
 */
export const API_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  ErrorEnvelope,
  Health,
  OpenApiDocument,
  AsyncApiDocument,
  TokenRequest,
  TokenResponse,
  JsonWebKeySet,
  Me,
  User,
  UserList,
  CreateUserRequest,
  Workspace,
  WorkspaceList,
  CreateWorkspaceRequest,
  AddMemberRequest,
  Membership,
  CreateApiKeyRequest,
  CreatedApiKey,
  ApiKey,
  ApiKeyList,
  DeclareDeviceRequest,
  DeclaredDevice,
  Device,
  DeviceList,
  CreateReleaseRequest,
  Release,
  ReleaseList,
  CodeSigningKey,
  CreateDownloadLinkRequest,
  DownloadLink,
  UpdateDeviceRequest,
  ActivationCodeRenewal,
  ActivationRequest,
  ActivationResponse,
  TelemetryPage,
  DeadLetterSummary,
  TelemetryStreamEvent,
  RetentionUpdateRequest,
  RetentionSetting,
  TelemetryAggregates,
  TelemetryLatest,
  CreateJobRequest,
  CreateJobResponse,
  CancelJobRequest,
  PauseJobRequest,
  JobEventPage,
  ReleaseEventPage,
  JobList,
  Job,
  JobExecutionList,
  ShadowDocument,
  ShadowUpdateRequest,
  ShadowUpdateAccepted,
  ShadowDeleteAccepted,
  PolicyDocument,
  CreatePolicyRequest,
  UpdatePolicyRequest,
  Policy,
  PolicyList,
  RuleAction,
  CreateTopicRuleRequest,
  ReplaceTopicRuleRequest,
  TopicRule,
  CreatedTopicRule,
  TopicRuleList,
  RuleErrorMessage,
  CreateThingGroupRequest,
  ThingGroup,
  ThingGroupList,
  ThingGroupMembers,
  CreateProvisioningTemplateRequest,
  ProvisioningTemplate,
  ProvisioningTemplateList,
  IssuedClaimCertificate,
  ClaimCertificate,
  SearchResults,
  AppManifest,
  App,
  AppList,
  AppVersion,
  RejectAppVersionRequest,
  AppReviewQueue,
  AppAuditTrail,
  MarketplacePage,
  CreateDeploymentRequest,
  Deployment,
  DeploymentList,
  ScaleDeploymentRequest,
  UpdateDeploymentRequest,
  AppPolicy,
  InstallAppRequest,
  AppWebhook,
  DockerHubPushPayload,
  WebhookDelivery,
  AnomalyPage,
  AnomalyStreamEvent,
  AnomalySettings,
  SeriesSettings,
  SeriesSettingsUpdate,
  PutSecretRequest,
  Secret,
  SecretList,
  AlertRuleRequest,
  AlertRule,
  AlertRuleList,
  AnalyserRequest,
  Analyser,
  AnalyserList,
};

/** The route that serves `method` and an OpenAPI-form `path`, if any. */
export function findApiRoute(method: string, path: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => route.method === method.toLowerCase() && route.path === path);
}
