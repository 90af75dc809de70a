import type { Requester } from './device-session.model.js';

/** The MQTT actions an AWS IoT policy allows or denies. */
export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive';

/**
 * Port: whether a connection may act on a resource — its client id for `iot:Connect`, a topic name
 * for `iot:Publish` and `iot:Receive`, a topic filter for `iot:Subscribe`. The broker asks before
 * every connect, publish, subscribe and delivery.
 */
export interface AccessDecider {
  allows(requester: Requester, action: IotAction, resource: string): boolean;
}
