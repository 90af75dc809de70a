import { TELEMETRY_TOPIC } from '@citus/contracts';

export type TopicFamily = 'shadow' | 'jobs' | 'app' | 'telemetry' | 'presence';

/**
 * The thing a topic (or topic filter) is about, and which family of topics it is:
 * `$aws/things/{t}/shadow|jobs/...`, `$aws/events/presence/{event}/{t}`, `things/{t}/...`,
 * `telemetry/{t}[/{stream}]` (and the filter `telemetry/{t}/#`). Undefined for any other topic.
 */
export function thingOfTopic(topic: string): { thingName: string; family: TopicFamily } | undefined {
  const levels = topic.split('/');
  if (levels[0] === '$aws' && levels[1] === 'things' && levels[2] && (levels[3] === 'shadow' || levels[3] === 'jobs')) {
    return { thingName: levels[2], family: levels[3] };
  }
  if (levels[0] === '$aws' && levels[1] === 'events' && levels[2] === 'presence' && levels.length === 5 && levels[4]) {
    return { thingName: levels[4], family: 'presence' };
  }
  if (levels[0] === 'things' && levels[1] && levels.length > 2) return { thingName: levels[1], family: 'app' };
  const telemetry = TELEMETRY_TOPIC.exec(topic) ?? /^telemetry\/([^/]+)\/#$/.exec(topic);
  if (telemetry?.[1]) return { thingName: telemetry[1], family: 'telemetry' };
  return undefined;
}

/** `+` or `#` in the thing's level: a filter over many things. */
export const isWildcardLevel = (level: string): boolean => level === '+' || level === '#';
