import type { MqttClient } from 'mqtt';

export interface Reply {
  topic: string;
  body: unknown;
}

/** Replies of one client, and a wait for the next on given topics that wakes on arrival, not a poll. */
export class Replies {
  readonly all: Reply[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, bytes) => {
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString());
      } catch {
        body = { unparseable: bytes.toString() };
      }
      this.all.push({ topic, body });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async next(topics: string[], from: number, within = 3_000): Promise<Reply | undefined> {
    const deadline = Date.now() + within;
    for (;;) {
      const found = this.all.slice(from).find((reply) => topics.includes(reply.topic));
      if (found || Date.now() > deadline) return found;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }
}

/** Publishes with QoS 1 and waits for the PUBACK; fails at once, saying where, if the hub closes the connection instead. */
export function publish(client: MqttClient, topic: string, body: Buffer | string): Promise<void> {
  if (!client.connected) return Promise.reject(new Error(`not connected before publishing to ${topic}`));
  return new Promise((resolve, reject) => {
    const closed = () => reject(new Error(`the hub closed the connection on ${topic} <- ${Buffer.from(body).toString('base64').slice(0, 400)}`));
    client.once('close', closed);
    client.publishAsync(topic, body, { qos: 1 }).then(
      () => (client.off('close', closed), resolve()),
      (error: unknown) => (client.off('close', closed), reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/** Publishes a request and waits for its answer on `/accepted` or `/rejected`. */
export async function ask(client: MqttClient, replies: Replies, topic: string, body: Buffer | string): Promise<Reply | undefined> {
  const from = replies.all.length;
  await publish(client, topic, body);
  return replies.next([`${topic}/accepted`, `${topic}/rejected`], from);
}
