import { Aedes, type AedesOptions } from 'aedes';
import qlobber from 'qlobber';
import { MQTT_FILTER_SYNTAX } from '../../domain/topic-filter.js';

/** Filters held by someone, matched in one trie walk; a filter leaves the trie with its last holder. */
class HeldFilters<H> {
  private readonly holders = new Map<string, Set<H>>();
  private readonly trie = new qlobber.QlobberTrue(MQTT_FILTER_SYNTAX);

  add(filter: string, holder: H): void {
    const held = this.holders.get(filter);
    if (held) return void held.add(holder);
    this.holders.set(filter, new Set([holder]));
    this.trie.add(filter);
  }

  remove(filter: string, holder: H): void {
    const held = this.holders.get(filter);
    if (!held?.delete(holder) || held.size > 0) return;
    this.holders.delete(filter);
    this.trie.remove(filter);
  }

  /** A topic deeper than the trie splits counts as matched: the broker's own publish then refuses it, with the reason. */
  matches(topic: string): boolean {
    return this.holders.size > 0 && (tooDeep(topic) || this.trie.test(topic));
  }
}

/** qlobber's limit on a topic's levels (its `max_words`), past which it throws rather than matches. */
const MAX_LEVELS = 100;

function tooDeep(topic: string): boolean {
  let levels = 1;
  for (let index = topic.indexOf('/'); index !== -1; index = topic.indexOf('/', index + 1)) if (++levels > MAX_LEVELS) return true;
  return false;
}

/**
 * Persistent sessions whose book is past this are no longer told apart: every QoS 1 message then
 * counts as heard until the hub restarts (MQTT 3.1.1 persistent sessions never expire in the
 * broker). Devices connect as their thing names, so a fleet below this many things stays below it.
 */
const KEPT_SESSIONS_LIMIT = 200_000;

/**
 * Who could receive a message the hub publishes now: a connected client whose subscription matches
 * (the broker's live subscriptions, restored persistent ones included), or, for QoS 1, a client of
 * a persistent session that subscribed at QoS 1 and is away (the broker queues for it
 * [MQTT-3.1.2-5]). The hub asks before it builds a message, so a republish or a shadow answer that
 * nobody can receive costs nothing.
 *
 * Both err on the side of hearing, which only costs messages sent in vain: the trie does not
 * apply [MQTT-4.7.2-1] (a `#` filter is taken to hear `$aws/...` too), and a persistent session's
 * filter stays until the client unsubscribes, starts clean, or its session expires (one MQTT 5 ends
 * silently at disconnect, expiry 0, stays until then).
 */
export class HubAudience {
  private readonly live = new HeldFilters<unknown>();
  private kept = new HeldFilters<string>();
  /** Filters of each persistent session, by client id, so a clean start or an expiry can drop them. */
  private readonly keptBySession = new Map<string, Set<string>>();
  private overflowed = false;

  /** Whether a message on `topic` at `qos` would reach anyone. */
  hears(topic: string, qos: 0 | 1): boolean {
    if (this.live.matches(topic)) return true;
    return qos > 0 && (this.overflowed || this.kept.matches(topic));
  }

  /** The broker delivers `topic` to `deliver` from now on (a live subscription). */
  subscribed(filter: string, deliver: unknown): void {
    this.live.add(filter, deliver);
  }

  unsubscribed(filter: string, deliver: unknown): void {
    this.live.remove(filter, deliver);
  }

  /** A client of a persistent session subscribed at QoS 1 or more: the broker keeps the subscription while it is away. */
  keptSubscription(clientId: string, filter: string): void {
    if (this.overflowed) return;
    let filters = this.keptBySession.get(clientId);
    if (!filters) {
      if (this.keptBySession.size >= KEPT_SESSIONS_LIMIT) return void this.overflow();
      this.keptBySession.set(clientId, (filters = new Set()));
    }
    filters.add(filter);
    this.kept.add(filter, clientId);
  }

  /** The client of a persistent session unsubscribed these filters. */
  released(clientId: string, filters: readonly string[]): void {
    const held = this.keptBySession.get(clientId);
    if (!held) return;
    for (const filter of filters) {
      held.delete(filter);
      this.kept.remove(filter, clientId);
    }
    if (held.size === 0) this.keptBySession.delete(clientId);
  }

  /** The session ended (a clean start, an expiry): nothing is kept for it any more. */
  sessionEnded(clientId: string): void {
    const held = this.keptBySession.get(clientId);
    if (held) this.released(clientId, [...held]);
  }

  private overflow(): void {
    this.overflowed = true;
    this.keptBySession.clear();
    this.kept = new HeldFilters();
  }
}

type Deliver = Parameters<Aedes['subscribe']>[1];

/** aedes, telling an audience of each live subscription as the broker adds and drops it. */
export class AudienceAedes extends Aedes {
  constructor(
    private readonly audience: HubAudience,
    options: AedesOptions,
  ) {
    super(options);
  }

  override subscribe(topic: string, deliver: Deliver, done?: () => void): void {
    // A filter too deep for the trie is one the broker refuses too (through the callback).
    if (tooDeep(topic)) return super.subscribe(topic, deliver, done as () => void);
    // Told before the broker adds the listener, which it does at once: never a moment when the
    // broker would deliver and the audience says nobody hears.
    this.audience.subscribed(topic, deliver);
    super.subscribe(topic, deliver, done as () => void);
  }

  override unsubscribe(topic: string, deliver: Deliver, done?: () => void): void {
    // The broker drops the listener on its next turn; the audience follows once it has.
    super.unsubscribe(topic, deliver, (error?: unknown) => {
      if (!error) this.audience.unsubscribed(topic, deliver);
      (done as ((error?: unknown) => void) | undefined)?.(error);
    });
  }
}
