/** MQTT's filter syntax ([MQTT-4.7]) for qlobber: `+` one level (an empty one too), a last `#` any number of levels, none included. */
export const MQTT_FILTER_SYNTAX = { separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true } as const;

/**
 * Whether an MQTT topic filter matches a topic name ([MQTT-4.7]): `+` is one level, a last `#` is
 * any number of levels including none, and a filter starting with a wildcard does not match a
 * topic starting with `$` ([MQTT-4.7.2-1]).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let index = 0; index < filterLevels.length; index += 1) {
    const level = filterLevels[index];
    if (level === '#') return index === filterLevels.length - 1;
    if (index >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
