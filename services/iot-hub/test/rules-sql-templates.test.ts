import { compileTemplate, NOT_JSON, RuleSqlError, type RuleMessage } from '../src/domain/rules/sql/index.js';

const message = (json: unknown, topic = 'things/lamp-1/telemetry'): RuleMessage => ({
  topic,
  payload: Buffer.from(json === NOT_JSON ? 'raw' : JSON.stringify(json)),
  json,
  clientId: 'lamp-1',
  principal: 'cert-abc',
  timestamp: 1_700_000_000_000,
});

const reading = { temperature: 21.5, state: { on: true }, tags: ['a'], nothing: null };

describe('substitution templates', () => {
  it.each<[string, string]>([
    ['things/${topic(2)}/alerts', 'things/lamp-1/alerts'],
    ['${topic()}/republish', 'things/lamp-1/telemetry/republish'],
    ['${temperature}', '21.5'],
    ['t=${temperature * 2} on=${state.on}', 't=43 on=true'],
    ['${state}', '{"on":true}'],
    ['${tags}', '["a"]'],
    ['[${missing}] [${nothing}]', '[] []'],
    ["${concat(clientid(), '-', principal())}", 'lamp-1-cert-abc'],
    ["${get({'a}': 1}, 'a}')}", '1'],
    ['${timestamp()}', '1700000000000'],
    ['fixed/topic', 'fixed/topic'],
    ['$notatemplate and } alone', '$notatemplate and } alone'],
    ['${upper(topic(1))}${topic(3)}', 'THINGStelemetry'],
  ])('%s', (text, expected) => {
    const template = compileTemplate(text);
    expect(template.text).toBe(text);
    expect(template.render(message(reading))).toBe(expected);
  });

  it('reads the incoming message, so a payload that is not JSON gives empty fields but still the topic', () => {
    expect(compileTemplate('${topic(2)}:${temperature}').render(message(NOT_JSON))).toBe('lamp-1:');
  });

  it.each<[string, string, number, number]>([
    ['things/${topic(2)', 'unterminated substitution: the ${ here has no closing }', 1, 8],
    ['a/${foo(1)}', 'function foo is not supported', 1, 5],
    ['a/${topic(2) garbage}', "unexpected 'garbage' after the end of the statement", 1, 14],
    ['x\n${round()}', 'round takes 1 argument, not 0', 2, 3],
    ['${}', 'empty expression', 1, 3],
    ["${'open}", 'unterminated substitution', 1, 1],
  ])('refuses %s', (text, problem, line, column) => {
    let error: unknown;
    try {
      compileTemplate(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RuleSqlError);
    expect((error as RuleSqlError).message).toContain(problem);
    expect((error as RuleSqlError).message.endsWith(`(line ${line}, column ${column})`)).toBe(true);
    expect((error as RuleSqlError).position).toMatchObject({ line, column });
  });
});
