/** The hub's AWS IoT SQL (version 2016-03-23) subset: rule statements and substitution templates. */
export { RuleSqlError, type SqlPosition } from './sql.error.js';
export { NOT_JSON, type EvalContext, type RuleMessage, type RuleResult } from './rule-message.model.js';
export { compileStatement, type CompiledStatement } from './statement.compiler.js';
export { compileTemplate, type CompiledTemplate } from './template.compiler.js';
export { SUPPORTED_FUNCTIONS } from './sql.functions.js';
