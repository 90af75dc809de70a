import type { ReservedRequest, ReservedTopicHandler } from '../../app/reserved-topic.router.js';
import type { ShadowService, ShadowTarget } from '../../app/shadow.service.js';

const CLASSIC = '$aws/things/{thingName}/shadow';
const NAMED = '$aws/things/{thingName}/shadow/name/{shadowName}';

/**
 * The thing comes from the topic (the broker has already decided the requester may use it) and
 * the workspace from the requester's session: shadows of one workspace never answer another.
 */
function targetOf(request: ReservedRequest): ShadowTarget {
  return { workspaceId: request.session.workspaceId, thingName: request.params.thingName as string, shadowName: request.params.shadowName };
}

/**
 * One handler per Device Shadow request topic, classic and named (AWS IoT developer guide,
 * "Device Shadow MQTT topics"). Each answers on its own `/accepted` or `/rejected` topic through
 * the service, which also publishes `update/delta` and `update/documents`.
 */
export function shadowHandlers(shadows: ShadowService): ReservedTopicHandler[] {
  const operations: Array<[string, (request: ReservedRequest) => Promise<unknown>]> = [
    ['get', (request) => shadows.get(targetOf(request), { payload: request.payload }, request.session.clientId)],
    ['update', (request) => shadows.update(targetOf(request), { payload: request.payload }, request.session.clientId)],
    ['delete', (request) => shadows.delete(targetOf(request), { payload: request.payload }, request.session.clientId)],
  ];
  return [CLASSIC, NAMED].flatMap((prefix) =>
    operations.map(([operation, answer]): ReservedTopicHandler => ({
      topic: `${prefix}/${operation}`,
      handle: async (request) => {
        await answer(request);
      },
    })),
  );
}
