import type { ApiRoute } from './api-route.js';
import {
  ShadowDeleteAccepted,
  ShadowDocument,
  ShadowPathParams,
  ShadowQuery,
  ShadowUpdateAccepted,
  ShadowUpdateRequest,
} from './shadow.schema.js';

const shadow = {
  tag: 'shadows',
  access: 'user',
  workspaceScoped: true,
  path: '/api/v1/things/{thingName}/shadow',
  params: ShadowPathParams,
  query: ShadowQuery,
} as const;

/**
 * A thing's Device Shadows for people and apps, as AWS IoT's GetThingShadow, UpdateThingShadow and
 * DeleteThingShadow: `?name=` picks a named shadow, none the classic one. A thing of another
 * workspace answers 404, like one that does not exist. Accepted updates and deletes reach the
 * thing's MQTT subscribers too.
 */
export const SHADOW_ROUTES: ApiRoute[] = [
  {
    ...shadow,
    operationId: 'getThingShadow',
    method: 'get',
    apiKeyScope: 'shadows:read',
    summary: "A thing's shadow: desired and reported state, delta, metadata and version",
    responses: { 200: { description: 'The shadow document', schema: ShadowDocument } },
    errors: [400, 401, 404],
  },
  {
    ...shadow,
    operationId: 'updateThingShadow',
    method: 'post',
    apiKeyScope: 'shadows:write',
    summary: "Update a thing's shadow",
    description:
      'AWS IoT update semantics: `null` deletes a key (`desired: null` the whole section), objects merge, arrays are ' +
      'replaced whole; a `version` other than the current one answers 409; a state over 8 KB answers 413.',
    body: ShadowUpdateRequest,
    responses: { 200: { description: 'The update as applied', schema: ShadowUpdateAccepted } },
    errors: [400, 401, 404, 409, 413],
  },
  {
    ...shadow,
    operationId: 'deleteThingShadow',
    method: 'delete',
    apiKeyScope: 'shadows:write',
    summary: "Delete a thing's shadow; a new one continues from its version",
    responses: { 200: { description: 'The deleted version', schema: ShadowDeleteAccepted } },
    errors: [400, 401, 404],
  },
];
