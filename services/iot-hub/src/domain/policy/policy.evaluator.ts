import { POLICY_RESOURCE_ARN, type PolicyDocument, type PolicyStatement } from '@citus/contracts';
import type { IotAction } from '../access.port.js';

/**
 * AWS IoT policy evaluation (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html):
 * - an explicit Deny in any policy in force wins over every Allow; no matching Allow is an
 *   implicit deny;
 * - in a resource, `*` matches any run of characters (`/` included) and `?` one character, while
 *   MQTT's `+` and `#` are literal characters (iot-policy-variables.html); `$(*)`, `$(?)` and `$($)`
 *   stand for a literal `*`, `?` and `$`;
 * - policy variables (`${iot:ClientId}`, `${iot:Connection.Thing.ThingName}`) are replaced by the
 *   connection's values before matching; a resource whose variable has no value for the connection
 *   matches nothing (so an Allow grants nothing there, and a Deny denies nothing there).
 *
 * Policies are scoped to a workspace, so the region and account fields of an ARN are not compared:
 * they act as wildcards.
 *
 * Documents are compiled once into token lists; a decision walks them with no regex and no
 * allocation beyond one string for resources that begin with a wildcard.
 */

/** The values of the policy variables for one connection. */
export interface PolicyVariables {
  clientId: string;
  /** The thing the certificate is attached to; a claim certificate's connection has none. */
  thingName?: string;
}

const STAR = 0;
const ONE = 1;
type Token = typeof STAR | typeof ONE | string | { variable: keyof PolicyVariables };

/** Resource kind as the ARN names it; `any` when the resource part starts with a wildcard. */
type Kind = 'client' | 'topic' | 'topicfilter' | 'any';

interface CompiledResource {
  tokens: Token[];
  /** The whole pattern when it holds no wildcard and no variable: compared with `===`. */
  literal?: string;
  variables: Array<keyof PolicyVariables>;
}

type ResourcesByKind = Record<Kind, CompiledResource[]>;
interface ActionRules {
  deny: ResourcesByKind;
  allow: ResourcesByKind;
}

export const IOT_ACTIONS: readonly IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'];

const KIND_OF_ACTION: Record<IotAction, Exclude<Kind, 'any'>> = {
  'iot:Connect': 'client',
  'iot:Publish': 'topic',
  'iot:Receive': 'topic',
  'iot:Subscribe': 'topicfilter',
};

const VARIABLE_KEYS: Record<string, keyof PolicyVariables> = {
  'iot:ClientId': 'clientId',
  'iot:Connection.Thing.ThingName': 'thingName',
};

const ESCAPES: Record<string, string> = { '$(*)': '*', '$(?)': '?', '$($)': '$' };
// `topicfilter/` before `topic/` would not matter (neither is a prefix of the other), kept explicit.
const KIND_PREFIXES: Array<[Exclude<Kind, 'any'>, string]> = [
  ['client', 'client/'],
  ['topicfilter', 'topicfilter/'],
  ['topic', 'topic/'],
];

const emptyKinds = (): ResourcesByKind => ({ client: [], topic: [], topicfilter: [], any: [] });

/**
 * The policies in force for one connection, merged: per action, the resources it is denied and
 * allowed. Immutable once built by `compile` or `merge`.
 */
export class PolicySet {
  private constructor(private readonly rules: Record<IotAction, ActionRules>) {}

  static empty(): PolicySet {
    return new PolicySet(
      Object.fromEntries(IOT_ACTIONS.map((action) => [action, { deny: emptyKinds(), allow: emptyKinds() }])) as Record<IotAction, ActionRules>,
    );
  }

  static merge(sets: readonly PolicySet[]): PolicySet {
    const merged = PolicySet.empty();
    for (const set of sets) {
      for (const action of IOT_ACTIONS) {
        for (const effect of ['deny', 'allow'] as const) {
          for (const kind of Object.keys(merged.rules[action][effect]) as Kind[]) {
            merged.rules[action][effect][kind].push(...set.rules[action][effect][kind]);
          }
        }
      }
    }
    return merged;
  }

  /** Compiles documents into one set; each document is checked by the contract's schema beforehand. */
  static compile(documents: readonly PolicyDocument[]): PolicySet {
    const set = PolicySet.empty();
    for (const rule of documents.flatMap(compileDocument)) {
      for (const action of rule.actions) set.rules[action][rule.effect][rule.kind].push(rule.resource);
    }
    return set;
  }

  /**
   * Whether the connection may do `action` on `resource`: a client id for `iot:Connect`, a topic
   * name for `iot:Publish`/`iot:Receive`, a topic filter for `iot:Subscribe` (not an ARN).
   */
  allows(action: IotAction, resource: string, variables: PolicyVariables): boolean {
    const rules = this.rules[action];
    const kind = KIND_OF_ACTION[action];
    if (matchesAny(rules.deny, kind, resource, variables)) return false;
    return matchesAny(rules.allow, kind, resource, variables);
  }
}

function matchesAny(resources: ResourcesByKind, kind: Exclude<Kind, 'any'>, name: string, variables: PolicyVariables): boolean {
  for (const resource of resources[kind]) if (matches(resource, name, variables)) return true;
  const wildcards = resources.any;
  if (wildcards.length === 0) return false;
  const qualified = `${kind}/${name}`;
  for (const resource of wildcards) if (matches(resource, qualified, variables)) return true;
  return false;
}

interface CompiledRule {
  effect: 'deny' | 'allow';
  actions: readonly IotAction[];
  kind: Kind;
  resource: CompiledResource;
}

export const compilePolicies = (documents: readonly PolicyDocument[]): PolicySet => PolicySet.compile(documents);

function compileDocument(document: PolicyDocument): CompiledRule[] {
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return statements.flatMap(compileStatement);
}

function compileStatement(statement: PolicyStatement): CompiledRule[] {
  const actionNames = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
  const actions = actionNames.includes('iot:*') ? IOT_ACTIONS : (actionNames as IotAction[]);
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  const effect = statement.Effect === 'Deny' ? 'deny' : 'allow';
  return resources.flatMap((resource) => {
    const part = resource === '*' ? '*' : POLICY_RESOURCE_ARN.exec(resource)?.[1];
    // The schema admits no other resource; one that slipped through grants and denies nothing.
    if (part === undefined) return [];
    const [kind, pattern] = splitKind(part);
    return [{ effect, actions, kind, resource: compilePattern(pattern) }];
  });
}

/** `topic/a/*` -> topic, `a/*`; a resource part that starts with a wildcard is matched whole. */
function splitKind(part: string): [Kind, string] {
  for (const [kind, prefix] of KIND_PREFIXES) if (part.startsWith(prefix)) return [kind, part.slice(prefix.length)];
  return ['any', part];
}

/** Exported for the tests of the matcher. */
export function compilePattern(pattern: string): CompiledResource {
  const tokens: Token[] = [];
  const variables: Array<keyof PolicyVariables> = [];
  let literal = '';
  const flush = () => {
    if (literal) tokens.push(literal);
    literal = '';
  };
  for (let index = 0; index < pattern.length; ) {
    const escaped = ESCAPES[pattern.slice(index, index + 4)];
    const char = pattern[index] as string;
    if (escaped !== undefined) {
      literal += escaped;
      index += 4;
    } else if (pattern.startsWith('${', index) && pattern.indexOf('}', index) > 0) {
      const end = pattern.indexOf('}', index);
      const key = VARIABLE_KEYS[pattern.slice(index + 2, end)];
      flush();
      // An unknown variable never resolves, so its resource matches nothing.
      const variable = key ?? ('unknown' as keyof PolicyVariables);
      tokens.push({ variable });
      variables.push(variable);
      index = end + 1;
    } else if (char === '*' || char === '?') {
      flush();
      if (char === '?' || tokens.at(-1) !== STAR) tokens.push(char === '*' ? STAR : ONE);
      index += 1;
    } else {
      literal += char;
      index += 1;
    }
  }
  flush();
  const whole = tokens.length === 1 && typeof tokens[0] === 'string' ? tokens[0] : tokens.length === 0 ? '' : undefined;
  return { tokens, variables, ...(whole === undefined ? {} : { literal: whole }) };
}

/**
 * Glob matching over tokens, backtracking only to the last `*` (enough, since a `*` matches any
 * run): linear for the patterns policies use.
 */
export function matches(resource: CompiledResource, text: string, variables: PolicyVariables): boolean {
  if (resource.literal !== undefined) return resource.literal === text;
  for (const variable of resource.variables) if (variables[variable] === undefined) return false;
  const { tokens } = resource;
  let position = 0;
  let next = 0;
  let star = -1;
  let starPosition = 0;
  while (position < text.length || next < tokens.length) {
    if (next < tokens.length) {
      const token = tokens[next] as Token;
      if (token === STAR) {
        star = next;
        starPosition = position;
        next += 1;
        continue;
      }
      if (token === ONE) {
        if (position < text.length) {
          position += 1;
          next += 1;
          continue;
        }
      } else {
        const literal = typeof token === 'string' ? token : (variables[token.variable] as string);
        if (text.startsWith(literal, position)) {
          position += literal.length;
          next += 1;
          continue;
        }
      }
    }
    if (star < 0 || starPosition >= text.length) return false;
    starPosition += 1;
    position = starPosition;
    next = star + 1;
  }
  return true;
}
