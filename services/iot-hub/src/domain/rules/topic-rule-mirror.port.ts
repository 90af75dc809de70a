import type { TopicRule } from '@citus/contracts';

/**
 * Port: where a workspace's topic rules are deployed besides the hub's own store — AWS IoT Core in
 * AWS mode, where devices' messages never reach the built-in hub. A save goes there first: what it
 * refuses (a rule AWS cannot express) is refused to the caller, and nothing is kept.
 */
export interface TopicRuleMirror {
  /** Creates or replaces the rule; `signingSecret` is the rule's, from which AWS mode derives its token. */
  put(workspaceId: string, rule: TopicRule, signingSecret: string): Promise<void>;
  remove(workspaceId: string, name: string): Promise<void>;
}
