import qlobber from 'qlobber';
import { MQTT_FILTER_SYNTAX } from '../topic-filter.js';
import type { CompiledRule } from './compiled-rule.js';

/** Topics whose matches are remembered per index: 20,000 topics of at most 256 characters, a few MB. */
const RECENT_TOPICS = 20_000;
const MAX_REMEMBERED_TOPIC = 256;
const NONE: readonly CompiledRule[] = [];

/**
 * A workspace's enabled rules, indexed by their FROM filters in a topic trie (qlobber, the matcher
 * aedes uses): a message is matched against the filters in one walk of its topic's levels, not
 * against each rule in turn.
 */
export class RuleIndex {
  private readonly trie = new qlobber.Qlobber<number>(MQTT_FILTER_SYNTAX);
  /**
   * Matches of recent topics: a device publishes to the same few topics again and again, and the
   * index never changes (a changed rule set is a new index). Emptied when full.
   */
  private readonly recent = new Map<string, CompiledRule[]>();

  constructor(readonly rules: readonly CompiledRule[]) {
    rules.forEach((rule, index) => this.trie.add(rule.statement.topicFilter, index));
  }

  /** The rules whose FROM filter matches `topic`, in the index's order (by name); a `$` topic is matched by no filter starting with a wildcard ([MQTT-4.7.2-1]). */
  match(topic: string): readonly CompiledRule[] {
    if (this.rules.length === 0) return NONE;
    const known = this.recent.get(topic);
    if (known) return known;
    const matched = this.lookUp(topic);
    // AWS IoT's topics are at most 256 bytes: longer ones are matched, never remembered.
    if (topic.length > MAX_REMEMBERED_TOPIC) return matched;
    if (this.recent.size >= RECENT_TOPICS) this.recent.clear();
    this.recent.set(topic, matched);
    return matched;
  }

  private lookUp(topic: string): CompiledRule[] {
    const hits = this.trie.match(topic);
    if (hits.length > 1) hits.sort((a, b) => a - b);
    const matched: CompiledRule[] = [];
    for (const index of hits) {
      const rule = this.rules[index] as CompiledRule;
      if (topic.startsWith('$') && /^[+#]/.test(rule.statement.topicFilter)) continue;
      matched.push(rule);
    }
    return matched;
  }
}
