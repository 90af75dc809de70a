import type { PublishPacket } from 'aedes';
import { TELEMETRY_TOPIC } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { IngestService } from '../../app/ingest.service.js';
import type { RuleEngine } from '../../app/rule-engine.js';
import type { ReservedTopicRouter } from '../../app/reserved-topic.router.js';
import type { AccessDecider } from '../../domain/access.port.js';
import type { DeviceSession, Requester } from '../../domain/device-session.model.js';
import { MAX_PAYLOAD_BYTES } from '../../domain/device.policy.js';
import type { DisconnectReason } from '../../domain/presence.model.js';
import type { HubSession } from './hub-sessions.js';

export type PublishRouting =
  | { kind: 'refuse'; reason: DisconnectReason; message: string }
  | { kind: 'accept'; run: () => Promise<void> };

/** Takes one duration in seconds; a Prometheus histogram is one. */
export interface LatencyObserver {
  observe(seconds: number): void;
}

interface PublishDeps {
  access: AccessDecider;
  reserved: ReservedTopicRouter;
  ingest: IngestService;
  /** The workspace's topic rules; without them, telemetry is stored as it came (the default rule's effect). */
  rules?: RuleEngine;
  logger: Logger;
  /** Time from a QoS 1 telemetry PUBLISH to its PUBACK. */
  pubackLatency?: LatencyObserver;
}

const refuse = (reason: DisconnectReason, message: string): PublishRouting => ({ kind: 'refuse', reason, message });
const passThrough: PublishRouting = { kind: 'accept', run: () => Promise.resolve() };

/**
 * Where one accepted publish goes: a reserved-topic handler, the telemetry store, or plainly on to
 * the subscribers allowed to receive it (retained messages and wills included).
 */
export function routePublish(session: HubSession, packet: PublishPacket, deps: PublishDeps): PublishRouting {
  const routing = route(session, packet, deps);
  if (routing.kind === 'refuse' && packet.topic.startsWith('telemetry/')) deps.ingest.countRefused();
  return routing;
}

function route(session: HubSession, packet: PublishPacket, deps: PublishDeps): PublishRouting {
  if (!deps.access.allows(session, 'iot:Publish', packet.topic)) return refuse('FORBIDDEN_ACCESS', 'publish not authorised');
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  if (payload.length > MAX_PAYLOAD_BYTES) return refuse('CLIENT_ERROR', 'payload larger than 128 KB');
  if (packet.topic.startsWith('$')) return reservedRequest(session, packet, payload, deps);
  if (packet.topic.startsWith('telemetry/')) {
    // Only `telemetry/{thing}` and `telemetry/{thing}/{stream}` are stored; deeper is no telemetry topic.
    if (!TELEMETRY_TOPIC.test(packet.topic)) return refuse('FORBIDDEN_ACCESS', 'not a telemetry topic');
    const { thingName, certificateId } = session;
    if (!thingName || !certificateId) return refuse('FORBIDDEN_ACCESS', 'only a device sends telemetry');
    // Telemetry is for the store, not for the broker's memory: a retained copy per topic would only grow.
    packet.retain = false;
    return { kind: 'accept', run: () => ingestTelemetry({ ...session, thingName, certificateId }, packet, payload, deps) };
  }
  return applicationMessage(session, packet, payload, deps);
}

/** Who the rules see as the publisher: `principal()` is a device's certificate id, a person's user id. */
const ruleSource = (session: Requester) => ({
  workspaceId: session.workspaceId,
  clientId: session.clientId,
  principal: session.certificateId ?? session.user?.userId ?? session.clientId,
});

/** Any other topic goes on to its subscribers; the rules that match it act after the PUBACK. */
function applicationMessage(session: HubSession, packet: PublishPacket, payload: Buffer, deps: PublishDeps): PublishRouting {
  if (!deps.rules || session.claim) return passThrough;
  const evaluation = deps.rules.evaluate(ruleSource(session), packet.topic, payload);
  return {
    kind: 'accept',
    run: () => {
      evaluation.dispatch();
      return Promise.resolve();
    },
  };
}

/**
 * Runs the workspace's rules on a telemetry message: the table writes they ask for (the default
 * rule's, `store_telemetry`) are made before this resolves, and aedes then writes the PUBACK at once (its publish
 * handler: authorizePublish, then the PUBACK for QoS 1), so this span is PUBLISH to PUBACK less
 * the packet's parsing.
 */
async function ingestTelemetry(session: DeviceSession, packet: PublishPacket, payload: Buffer, deps: PublishDeps): Promise<void> {
  const started = performance.now();
  if (!deps.rules) {
    await deps.ingest.ingest(session, packet.topic, payload);
  } else {
    const evaluation = deps.rules.evaluate(ruleSource(session), packet.topic, payload);
    await Promise.all(
      evaluation.tableWrites.map((write) =>
        'asIs' in write || 'binary' in write.output
          ? deps.ingest.ingest(session, packet.topic, payload, evaluation.parsed)
          : deps.ingest.ingestDocument(session, packet.topic, write.output.value),
      ),
    );
    // Stored first: a write that fails fails the publish, and the device's resend is routed again.
    evaluation.dispatch();
  }
  if (packet.qos === 1) deps.pubackLatency?.observe((performance.now() - started) / 1000);
}

/**
 * A request on a reserved topic: its handler answers on the reply topics (rejections included)
 * before the PUBACK. A topic no handler serves is refused like any other denied publish; a fault
 * of the hub while answering is logged and the request still acknowledged, as AWS IoT answers
 * InternalError instead of dropping the connection.
 */
function reservedRequest(session: HubSession, packet: PublishPacket, payload: Buffer, deps: PublishDeps): PublishRouting {
  const route = deps.reserved.match(packet.topic);
  if (!route) return refuse('FORBIDDEN_ACCESS', 'no such reserved topic');
  // [MQTT-3.3.1-5] would keep a retained request for every later subscriber; a request is answered once.
  packet.retain = false;
  const request = { session, topic: packet.topic, params: route.params, payload };
  return {
    kind: 'accept',
    run: () =>
      route.handler.handle(request).catch((error: unknown) => {
        deps.logger.error({ err: error, clientId: session.clientId, topic: packet.topic }, 'reserved topic request failed');
      }),
  };
}
