import type { RuleAction } from '@citus/contracts';
import type { SealedSecret } from '@citus/kit';

/** A topic rule's definition as saved: the contract's fields, with defaults filled in. */
export interface RuleDefinition {
  sql: string;
  description: string;
  actions: RuleAction[];
  errorAction?: RuleAction;
  ruleDisabled: boolean;
}

export interface StoredRule extends RuleDefinition {
  workspaceId: string;
  name: string;
  /** The secret its http actions sign with, sealed (context: `topic-rule:{workspaceId}:{name}`). */
  signingSecret: SealedSecret;
  createdAt: string;
  updatedAt: string;
}

/** Port: the topic rules of each workspace. */
export interface TopicRuleRepository {
  /** False when the workspace already has a rule of that name. */
  insert(rule: StoredRule): boolean;
  get(workspaceId: string, name: string): StoredRule | undefined;
  list(workspaceId: string): StoredRule[];
  /** Every rule of every workspace: what the hub loads at start. */
  all(): StoredRule[];
  /** False when there is no such rule. */
  replace(workspaceId: string, name: string, definition: RuleDefinition, updatedAt: string): boolean;
  delete(workspaceId: string, name: string): boolean;
  /**
   * Marks the workspace as given its default rules and inserts them, in one transaction; false
   * (and nothing inserted) when it was marked before. A workspace gets `store_telemetry` once, so
   * deleting it sticks.
   */
  seed(workspaceId: string, at: string, rules: StoredRule[]): boolean;
}

/** The associated data a rule's signing secret is sealed with: a secret copied to another rule does not open. */
export const signingSecretContext = (workspaceId: string, name: string): string => `topic-rule:${workspaceId}:${name}`;
