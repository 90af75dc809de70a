import { randomBytes } from 'node:crypto';
import {
  DEFAULT_TELEMETRY_RULE,
  RULE_SQL_VERSION,
  type CreatedTopicRule,
  type CreateTopicRuleRequest,
  type ReplaceTopicRuleRequest,
  type TopicRule,
} from '@citus/contracts';
import { badRequest, conflict, isNonPublicHost, KeyedTurns, notFound, type Logger, type SecretCipher } from '@citus/kit';
import { compileRule, InvalidRuleError, type CompiledRule } from '../domain/rules/compiled-rule.js';
import { RuleIndex } from '../domain/rules/rule-index.js';
import { compileStatement } from '../domain/rules/sql/index.js';
import type { TopicRuleMirror } from '../domain/rules/topic-rule-mirror.port.js';
import { signingSecretContext, type RuleDefinition, type StoredRule, type TopicRuleRepository } from '../domain/rules/topic-rule.model.js';

const definitionOf = (request: ReplaceTopicRuleRequest): RuleDefinition => ({
  sql: request.sql,
  description: request.description ?? '',
  actions: request.actions,
  ...(request.errorAction ? { errorAction: request.errorAction } : {}),
  ruleDisabled: request.ruleDisabled ?? false,
});

/**
 * The topic rules of each workspace: kept in the repository, compiled once when saved or loaded,
 * and handed to the rule engine per workspace. Every workspace starts with `store_telemetry`, the
 * rule that stores telemetry; it is a rule like the others, which its admins may change, disable
 * or delete.
 */
export class TopicRuleService {
  /** The enabled rules of each workspace, compiled and indexed; a workspace missing here has not been loaded or seeded. */
  private readonly active = new Map<string, RuleIndex>();

  private readonly mirror: TopicRuleMirror | undefined;
  /** Changes of one rule run one at a time: with a mirror, each waits on AWS between its read and its write. */
  /** Changes of one rule (by workspace and name), one after the other. */
  private readonly changing = new KeyedTurns();
  private readonly publicHttpOnly: boolean;
  private readonly now: () => Date;

  /**
   * With a `mirror` (AWS mode) every save goes there first, and workspaces get no `store_telemetry`:
   * AWS IoT's own telemetry rule (`infra/aws/telemetry.yaml`) stores telemetry there.
   */
  constructor(
    private readonly repository: TopicRuleRepository,
    private readonly cipher: SecretCipher,
    private readonly logger: Logger,
    options: { mirror?: TopicRuleMirror; now?: () => Date; publicHttpOnly?: boolean } = {},
  ) {
    this.mirror = options.mirror;
    this.publicHttpOnly = options.publicHttpOnly ?? true;
    this.now = options.now ?? (() => new Date());
  }

  /** Compiles every stored rule. A rule that no longer compiles (a hub that runs less SQL than the one that saved it) is left out and logged. */
  load(): void {
    const byWorkspace = new Map<string, StoredRule[]>();
    for (const rule of this.repository.all()) byWorkspace.set(rule.workspaceId, [...(byWorkspace.get(rule.workspaceId) ?? []), rule]);
    for (const [workspaceId, rules] of byWorkspace) this.active.set(workspaceId, new RuleIndex(this.compileEnabled(rules)));
  }

  /**
   * The enabled rules of a workspace, by name, for the engine; the workspace is given its default
   * rules the first time it is seen. Answered from memory after that.
   */
  rulesOf(workspaceId: string): RuleIndex {
    return this.active.get(workspaceId) ?? this.seed(workspaceId);
  }

  list(workspaceId: string): TopicRule[] {
    this.rulesOf(workspaceId);
    return this.repository.list(workspaceId).map(viewOf);
  }

  get(workspaceId: string, name: string): TopicRule {
    this.rulesOf(workspaceId);
    return viewOf(this.stored(workspaceId, name));
  }

  create(workspaceId: string, request: CreateTopicRuleRequest): Promise<CreatedTopicRule> {
    return this.oneAtATime(workspaceId, request.name, () => this.createNow(workspaceId, request));
  }

  private async createNow(workspaceId: string, request: CreateTopicRuleRequest): Promise<CreatedTopicRule> {
    this.rulesOf(workspaceId);
    const definition = definitionOf(request);
    const signingSecret = randomBytes(32).toString('base64url');
    this.check(workspaceId, request.name, definition, signingSecret);
    const at = this.now().toISOString();
    const rule: StoredRule = {
      workspaceId,
      name: request.name,
      ...definition,
      signingSecret: this.cipher.seal(signingSecret, signingSecretContext(workspaceId, request.name)),
      createdAt: at,
      updatedAt: at,
    };
    if (this.repository.get(workspaceId, request.name)) throw conflict(`rule ${request.name} exists`);
    await this.mirror?.put(workspaceId, viewOf(rule), signingSecret);
    if (!this.repository.insert(rule)) throw conflict(`rule ${request.name} exists`);
    this.refresh(workspaceId);
    this.logger.info({ workspaceId, rule: request.name }, 'topic rule created');
    return { ...viewOf(rule), signingSecret };
  }

  replace(workspaceId: string, name: string, request: ReplaceTopicRuleRequest): Promise<TopicRule> {
    return this.update(workspaceId, name, () => definitionOf(request));
  }

  setDisabled(workspaceId: string, name: string, ruleDisabled: boolean): Promise<TopicRule> {
    return this.update(workspaceId, name, (current) => ({ ...current, ruleDisabled }));
  }

  delete(workspaceId: string, name: string): Promise<void> {
    return this.oneAtATime(workspaceId, name, () => this.deleteNow(workspaceId, name));
  }

  private async deleteNow(workspaceId: string, name: string): Promise<void> {
    this.rulesOf(workspaceId);
    this.stored(workspaceId, name);
    await this.mirror?.remove(workspaceId, name);
    if (!this.repository.delete(workspaceId, name)) throw notFound('rule');
    this.refresh(workspaceId);
    this.logger.info({ workspaceId, rule: name }, 'topic rule deleted');
  }

  private update(workspaceId: string, name: string, change: (current: RuleDefinition) => RuleDefinition): Promise<TopicRule> {
    return this.oneAtATime(workspaceId, name, () => this.updateNow(workspaceId, name, change));
  }

  /** Runs `step` after every earlier change of the same rule has finished. */
  private oneAtATime<T>(workspaceId: string, name: string, step: () => Promise<T>): Promise<T> {
    return this.changing.run(`${workspaceId}\u0000${name}`, step);
  }

  private async updateNow(workspaceId: string, name: string, change: (current: RuleDefinition) => RuleDefinition): Promise<TopicRule> {
    this.rulesOf(workspaceId);
    const current = this.stored(workspaceId, name);
    const definition = change(current);
    this.check(workspaceId, name, definition, '');
    const at = this.now().toISOString();
    const changed = viewOf({ ...current, ...definition, updatedAt: at });
    if (this.mirror) await this.mirror.put(workspaceId, changed, this.cipher.open(current.signingSecret, signingSecretContext(workspaceId, name)));
    if (!this.repository.replace(workspaceId, name, definition, at)) throw notFound('rule');
    this.refresh(workspaceId);
    this.logger.info({ workspaceId, rule: name, ruleDisabled: definition.ruleDisabled }, 'topic rule changed');
    return changed;
  }

  private stored(workspaceId: string, name: string): StoredRule {
    const rule = this.repository.get(workspaceId, name);
    if (!rule) throw notFound('rule');
    return rule;
  }

  /** Refuses with a 400 naming every problem and its position. */
  private check(workspaceId: string, name: string, definition: RuleDefinition, signingSecret: string): void {
    try {
      compileRule(workspaceId, name, definition, signingSecret);
      if (this.publicHttpOnly) refusePrivateHosts(definition);
    } catch (error) {
      if (error instanceof InvalidRuleError) throw badRequest(`invalid rule: ${error.message}`, error.problems);
      throw error;
    }
  }

  private seed(workspaceId: string): RuleIndex {
    const at = this.now().toISOString();
    const { name, sql, description } = DEFAULT_TELEMETRY_RULE;
    const defaults: StoredRule[] = this.mirror
      ? []
      : [
          {
            workspaceId,
            name,
            sql,
            description,
            actions: [{ telemetryTable: {} }],
            ruleDisabled: false,
            signingSecret: this.cipher.seal(randomBytes(32).toString('base64url'), signingSecretContext(workspaceId, name)),
            createdAt: at,
            updatedAt: at,
          },
        ];
    if (this.repository.seed(workspaceId, at, defaults) && defaults.length > 0) this.logger.info({ workspaceId, rule: name }, 'workspace given its default topic rule');
    return this.refresh(workspaceId);
  }

  private refresh(workspaceId: string): RuleIndex {
    const rules = new RuleIndex(this.compileEnabled(this.repository.list(workspaceId)));
    this.active.set(workspaceId, rules);
    return rules;
  }

  private compileEnabled(rules: StoredRule[]): CompiledRule[] {
    return rules.flatMap((rule) => {
      if (rule.ruleDisabled) return [];
      try {
        const secret = this.cipher.open(rule.signingSecret, signingSecretContext(rule.workspaceId, rule.name));
        return [compileRule(rule.workspaceId, rule.name, rule, secret)];
      } catch (error) {
        this.logger.error({ err: error, workspaceId: rule.workspaceId, rule: rule.name }, 'topic rule left out: it no longer compiles');
        return [];
      }
    });
  }
}

/** An http action written to a loopback or private address (a name resolving to one is refused when sent). */
function refusePrivateHosts(definition: RuleDefinition): void {
  const actions = [...definition.actions.map((action, index) => ({ action, path: ['actions', index] as Array<string | number> })), ...(definition.errorAction ? [{ action: definition.errorAction, path: ['errorAction'] }] : [])];
  const problems = actions.flatMap(({ action, path }) => {
    const host = action.http && URL.parse(action.http.url)?.hostname;
    if (host === undefined || !isNonPublicHost(host)) return [];
    return [{ path: [...path, 'http', 'url'], message: `${host} is not a public address: rules reach public endpoints only (CITUS_RULE_HTTP_PRIVATE=allow lets them reach private ones)` }];
  });
  if (problems.length > 0) throw new InvalidRuleError(problems);
}

function viewOf(rule: StoredRule): TopicRule {
  let topicFilter = '';
  try {
    topicFilter = compileStatement(rule.sql).topicFilter;
  } catch {
    // A rule that no longer compiles is still shown, without its filter.
  }
  return {
    name: rule.name,
    sql: rule.sql,
    description: rule.description,
    actions: rule.actions,
    ...(rule.errorAction ? { errorAction: rule.errorAction } : {}),
    ruleDisabled: rule.ruleDisabled,
    awsIotSqlVersion: RULE_SQL_VERSION,
    topicFilter,
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}
