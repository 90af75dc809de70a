import type { SqlPosition } from './sql.error.js';
import type { BinaryOperator } from './sql.operators.js';

/** The parsed statement, before it is compiled to closures. `depth` is the node's height, capped by the parser. */
export type ExpressionNode =
  | { kind: 'literal'; value: unknown; position: SqlPosition; depth: number }
  | { kind: 'field'; name: string; position: SqlPosition; depth: number }
  | { kind: 'member'; object: ExpressionNode; name: string; position: SqlPosition; depth: number }
  | { kind: 'index'; object: ExpressionNode; index: ExpressionNode; position: SqlPosition; depth: number }
  | { kind: 'call'; name: string; args: ArgumentNode[]; position: SqlPosition; depth: number }
  | { kind: 'negate' | 'not'; operand: ExpressionNode; position: SqlPosition; depth: number }
  | { kind: 'binary'; operator: BinaryOperator; left: ExpressionNode; right: ExpressionNode; position: SqlPosition; depth: number }
  | { kind: 'object'; entries: Array<{ key: string; value: ExpressionNode }>; position: SqlPosition; depth: number }
  | { kind: 'array'; items: ExpressionNode[]; position: SqlPosition; depth: number };

/** `*` as a function argument is the whole payload (AWS: `get(*, 'key-with-dashes')`). */
export type ArgumentNode = ExpressionNode | { kind: 'payload'; position: SqlPosition; depth: number };

export type SelectItemNode =
  | { kind: 'star'; position: SqlPosition }
  | { kind: 'expression'; expression: ExpressionNode; alias: string | undefined; position: SqlPosition };

export interface StatementNode {
  items: SelectItemNode[];
  topicFilter: { text: string; position: SqlPosition; rawOffset: number };
  where: ExpressionNode | undefined;
}
