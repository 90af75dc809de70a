import type { Metrics, Sample } from '@citus/kit';
import type { IngestStats } from '../../app/ingest.service.js';
import type { RuleStats } from '../../app/rule-dispatcher.js';
import type { ConnectionCounts, Transport } from '../mqtt/hub-sessions.js';
import type { LatencyObserver } from '../mqtt/publish.route.js';

export interface HubMetricSources {
  ingest: Readonly<IngestStats>;
  /** None before the broker listens. */
  connections: () => Readonly<ConnectionCounts> | undefined;
  /** The topic rules' dispatcher: what it did, and what waits. */
  rules: () => { stats: Readonly<RuleStats>; pending: number } | undefined;
}

const TRANSPORTS: readonly Transport[] = ['tls', 'websocket'];

function* byTransport(counts: Readonly<Record<Transport, number>> | undefined): Iterable<Sample<'transport'>> {
  for (const transport of TRANSPORTS) yield [{ transport }, counts?.[transport] ?? 0];
}

/**
 * The hub's metrics. Counts are kept as plain numbers by the ingest service and the broker's
 * session book and read at scrape time; the one thing observed per message is the PUBACK
 * latency, in the histogram this returns for the broker.
 */
export function registerHubMetrics(metrics: Metrics, sources: HubMetricSources): LatencyObserver {
  const { ingest } = sources;
  metrics.counterOf('citus_ingest_messages_total', 'Telemetry messages by outcome: stored, duplicate (a resend), dead_lettered, refused (policy, size, topic), failed (write error, not acknowledged)', ['outcome'], () => [
    [{ outcome: 'stored' }, ingest.stored],
    [{ outcome: 'duplicate' }, ingest.duplicates],
    [{ outcome: 'dead_lettered' }, ingest.deadLettered],
    [{ outcome: 'refused' }, ingest.refused],
    [{ outcome: 'failed' }, ingest.failedWrites],
  ]);
  metrics.gaugeOf('citus_mqtt_connected_clients', 'MQTT clients connected now, by transport', ['transport'], () => byTransport(sources.connections()?.connected));
  metrics.counterOf('citus_mqtt_connects_total', 'MQTT connections accepted, by transport', ['transport'], () => byTransport(sources.connections()?.connects));
  metrics.counterOf('citus_mqtt_disconnects_total', 'MQTT connections ended, by transport', ['transport'], () => byTransport(sources.connections()?.disconnects));
  const rules = () => sources.rules()?.stats;
  metrics.counterOf('citus_rule_deliveries_total', "Topic rules' messages handed to their actions after the PUBACK, by outcome: delivered (every action tried), unheard (of those delivered, republishes done at once with nothing sent, since no client could receive them and nothing of their rule and topic was waiting), action_failed (an action failed for good), error_action (a failure report sent to the rule's error action), error_action_failed (that report lost), overflowed (the rule's queue was full)", ['outcome'], () => [
    [{ outcome: 'delivered' }, rules()?.delivered ?? 0],
    [{ outcome: 'unheard' }, rules()?.unheard ?? 0],
    [{ outcome: 'action_failed' }, rules()?.actionFailures ?? 0],
    [{ outcome: 'error_action' }, rules()?.errorActions ?? 0],
    [{ outcome: 'error_action_failed' }, rules()?.errorActionFailures ?? 0],
    [{ outcome: 'overflowed' }, rules()?.overflowed ?? 0],
  ]);
  metrics.gaugeOf('citus_rule_deliveries_pending', "Topic rules' messages waiting for their actions, or being handled", [], () => [[{}, sources.rules()?.pending ?? 0]]);
  return metrics.histogram('citus_mqtt_puback_latency_seconds', 'From a QoS 1 telemetry PUBLISH to its PUBACK (the durable write and any back-pressure hold)');
}
