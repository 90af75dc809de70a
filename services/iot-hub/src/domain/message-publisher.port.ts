/** A message the hub itself sends: a reply to a reserved-topic request, a shadow delta, a job notification. */
export interface OutboundMessage {
  topic: string;
  /** Serialised as JSON; a Buffer goes as it is (a topic rule passing on bytes that are not JSON). */
  payload: unknown;
  /** 1 unless given; a subscription's lower QoS still wins, as MQTT requires. */
  qos?: 0 | 1;
  /**
   * The client id of the device that made the request this answers. AWS IoT delivers a reply to
   * the requester even when it never subscribed to the reply topic; every subscriber allowed to
   * receive the topic gets it too.
   */
  requester?: string;
  /**
   * Deliver to the requester only, never to other subscribers: for replies that carry secrets
   * (fleet provisioning hands out a private key and an ownership token).
   */
  requesterOnly?: boolean;
}

/** Port: sends messages to MQTT clients. The broker implements it; before it listens, nothing is sent. */
export interface MessagePublisher {
  publish(message: OutboundMessage): Promise<void>;
  /**
   * False when no client, connected or of a persistent session, would receive a message on the
   * topic now, so publishing it would change nothing; a publisher that cannot tell leaves it out.
   */
  hasAudience?(topic: string, qos: 0 | 1): boolean;
}
