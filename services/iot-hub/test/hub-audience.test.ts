import { HubAudience } from '../src/adapters/mqtt/hub-audience.js';

// The audience decides whether the hub builds a message at all: a false "nobody hears" loses a
// message, a false "someone hears" only costs a message sent in vain. These cases pin both sides.

/** A deliver function as aedes hands one per subscription; only its identity matters here. */
const deliverer = (): (() => void) => () => undefined;

describe('HubAudience', () => {
  it('hears nothing before anyone subscribes', () => {
    const audience = new HubAudience();
    for (const topic of ['things/t1/cmd', 'a', '$aws/things/t1/shadow/update/delta']) {
      expect(audience.hears(topic, 0)).toBe(false);
      expect(audience.hears(topic, 1)).toBe(false);
    }
  });

  it('hears what a live filter with + and # matches, at QoS 0 and 1, and nothing else', () => {
    const audience = new HubAudience();
    audience.subscribed('things/+/cmd', deliverer());
    audience.subscribed('things/t1/state/#', deliverer());
    const heard = ['things/t1/cmd', 'things/t2/cmd', 'things/t1/state', 'things/t1/state/lamp', 'things/t1/state/lamp/on'];
    const unheard = ['things/t1/cmd/extra', 'things/t1', 'things/t2/state/lamp', 'telemetry/t1', 'other/t1/cmd'];
    for (const topic of heard) {
      expect([topic, audience.hears(topic, 0), audience.hears(topic, 1)]).toEqual([topic, true, true]);
    }
    for (const topic of unheard) {
      expect([topic, audience.hears(topic, 0), audience.hears(topic, 1)]).toEqual([topic, false, false]);
    }
  });

  // Not asserted: [MQTT-4.7.2-1] (a filter starting with + or # never matches a $ topic). The
  // audience's trie ignores that rule, so '#' hears '$aws/...': a wasted message, never a lost one.

  it('counts a topic deeper than its trie splits as heard, without throwing, so the broker refuses it with the reason', () => {
    const audience = new HubAudience();
    const deep = `things/t1/${'a/'.repeat(100)}end`;
    expect(audience.hears(deep, 0)).toBe(false);
    audience.subscribed('things/t1/cmd', deliverer());
    expect([audience.hears(deep, 0), audience.hears(`things/t1/${'a/'.repeat(97)}end`, 0)]).toEqual([true, false]);
  });

  it('keeps a filter heard until every holder has unsubscribed', () => {
    const audience = new HubAudience();
    const first = deliverer();
    const second = deliverer();
    audience.subscribed('things/t1/cmd', first);
    audience.subscribed('things/t1/cmd', second);
    audience.unsubscribed('things/t1/cmd', first);
    expect(audience.hears('things/t1/cmd', 0)).toBe(true);
    // Unsubscribing the same holder twice must not take the other holder's subscription with it.
    audience.unsubscribed('things/t1/cmd', first);
    expect(audience.hears('things/t1/cmd', 0)).toBe(true);
    audience.unsubscribed('things/t1/cmd', second);
    expect(audience.hears('things/t1/cmd', 0)).toBe(false);
    expect(audience.hears('things/t1/cmd', 1)).toBe(false);
  });

  it('ignores an unsubscribe of a filter nobody holds', () => {
    const audience = new HubAudience();
    audience.subscribed('things/t1/cmd', deliverer());
    audience.unsubscribed('things/t1/other', deliverer());
    audience.unsubscribed('things/t1/cmd', deliverer());
    expect(audience.hears('things/t1/cmd', 0)).toBe(true);
  });

  it('hears a kept subscription of an away persistent session at QoS 1 only: the broker queues QoS 1, drops QoS 0', () => {
    const audience = new HubAudience();
    audience.keptSubscription('t1', 'things/t1/+');
    expect(audience.hears('things/t1/cmd', 1)).toBe(true);
    expect(audience.hears('things/t1/cmd', 0)).toBe(false);
    expect(audience.hears('things/t2/cmd', 1)).toBe(false);
  });

  it('drops kept filters released by an UNSUBSCRIBE, and only those', () => {
    const audience = new HubAudience();
    audience.keptSubscription('t1', 'things/t1/a');
    audience.keptSubscription('t1', 'things/t1/b');
    audience.released('t1', ['things/t1/a']);
    expect(audience.hears('things/t1/a', 1)).toBe(false);
    expect(audience.hears('things/t1/b', 1)).toBe(true);
    // A client with nothing kept releasing is a no-op.
    audience.released('t9', ['things/t1/b']);
    expect(audience.hears('things/t1/b', 1)).toBe(true);
  });

  it('drops every kept filter of a session that ended, and keeps another session\'s hold on the same filter', () => {
    const audience = new HubAudience();
    audience.keptSubscription('t1', 'things/shared/cmd');
    audience.keptSubscription('t1', 'things/t1/cmd');
    audience.keptSubscription('t2', 'things/shared/cmd');
    audience.sessionEnded('t1');
    expect(audience.hears('things/t1/cmd', 1)).toBe(false);
    expect(audience.hears('things/shared/cmd', 1)).toBe(true);
    audience.sessionEnded('t2');
    expect(audience.hears('things/shared/cmd', 1)).toBe(false);
    // Ending a session that is not in the book changes nothing.
    audience.sessionEnded('t3');
    expect(audience.hears('things/shared/cmd', 1)).toBe(false);
  });

  it('does not mix live and kept holds: a session ending leaves a live subscription heard', () => {
    const audience = new HubAudience();
    audience.subscribed('things/t1/cmd', deliverer());
    audience.keptSubscription('t1', 'things/t1/cmd');
    audience.sessionEnded('t1');
    expect(audience.hears('things/t1/cmd', 0)).toBe(true);
    expect(audience.hears('things/t1/cmd', 1)).toBe(true);
  });

  it('counts every QoS 1 topic as heard once more than 200,000 persistent sessions are booked', () => {
    const audience = new HubAudience();
    // One shared filter keeps the trie at one entry: the cap is on client ids, not filters.
    for (let id = 0; id < 200_000; id++) audience.keptSubscription(`c${id}`, 'things/booked/cmd');
    // At the cap, not past it: sessions are still told apart, and a known id may add filters.
    audience.keptSubscription('c0', 'things/c0/more');
    expect(audience.hears('things/c0/more', 1)).toBe(true);
    expect(audience.hears('unrelated/topic', 1)).toBe(false);
    audience.keptSubscription('one-too-many', 'things/late/cmd');
    expect(audience.hears('unrelated/topic', 1)).toBe(true);
    expect(audience.hears('things/late/cmd', 1)).toBe(true);
    // QoS 0 is never queued for an away session, so the overflow does not make it heard.
    expect(audience.hears('unrelated/topic', 0)).toBe(false);
    // Ending sessions does not bring the book back: it no longer knows who holds what.
    audience.sessionEnded('c0');
    audience.released('one-too-many', ['things/late/cmd']);
    expect(audience.hears('unrelated/topic', 1)).toBe(true);
    // Live subscriptions are still followed at QoS 0.
    audience.subscribed('live/topic', deliverer());
    expect(audience.hears('live/topic', 0)).toBe(true);
  });
});
