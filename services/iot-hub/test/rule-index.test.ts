import fc from 'fast-check';
import type { CompiledRule } from '../src/domain/rules/compiled-rule.js';
import { RuleIndex } from '../src/domain/rules/rule-index.js';
import { topicMatches } from '../src/domain/topic-filter.js';

const rule = (name: string, topicFilter: string): CompiledRule =>
  ({ workspaceId: 'ws', name, key: `ws\u0000${name}`, statement: { topicFilter }, tableActions: 0, actions: [], signingSecret: '' }) as unknown as CompiledRule;

const names = (index: RuleIndex, topic: string) => index.match(topic).map((matched) => matched.name);

describe('RuleIndex', () => {
  it('matches MQTT filters: + one level (empty too), # the rest including none, in the rules\' order', () => {
    const index = new RuleIndex([
      rule('a_all', '#'),
      rule('b_things', 'telemetry/+'),
      rule('c_streams', 'telemetry/+/+'),
      rule('d_below', 'telemetry/#'),
      rule('e_one', 'telemetry/t1'),
      rule('f_status', 'things/+/status'),
    ]);
    expect(names(index, 'telemetry/t1')).toEqual(['a_all', 'b_things', 'd_below', 'e_one']);
    expect(names(index, 'telemetry/t2/env')).toEqual(['a_all', 'c_streams', 'd_below']);
    expect(names(index, 'telemetry')).toEqual(['a_all', 'd_below']);
    expect(names(index, 'things//status')).toEqual(['a_all', 'f_status']);
    expect(names(index, '$aws/things/t1/shadow/update')).toEqual([]);
    // A topic seen before is answered from the index's memory of recent topics, the same.
    expect(names(index, 'telemetry/t1')).toEqual(['a_all', 'b_things', 'd_below', 'e_one']);
  });

  it('agrees with the hub\'s MQTT filter semantics on random filters and topics', () => {
    const level = fc.constantFrom('a', 'b', 'telemetry', '', 'x1');
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));
    fc.assert(
      fc.property(fc.array(filter, { minLength: 1, maxLength: 8 }), topic, (filters, name) => {
        const index = new RuleIndex(filters.map((f, i) => rule(`r${i}`, f)));
        const expected = filters.flatMap((f, i) => (topicMatches(f, name) ? [`r${i}`] : []));
        expect(names(index, name)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
