import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { DeviceFiles } from './device-state.js';

export interface ConnectOptions {
  /** Override the endpoint the platform gave at activation (e.g. to reach it through another name). */
  endpoint?: string;
  port?: number;
  clientId?: string;
  keepAliveSeconds?: number;
}

/**
 * An MQTT 3.1.1 connection over mutual TLS, built exactly as firmware for AWS IoT Core builds
 * it with the AWS IoT Device SDK v2; only the endpoint and CA differ.
 */
export function createConnection(files: DeviceFiles, options: ConnectOptions = {}): mqtt.MqttClientConnection {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(files.certificatePem, files.privateKeyPem)
    .with_certificate_authority(files.caCertificatePem)
    .with_endpoint(options.endpoint ?? files.state.mqttEndpoint)
    .with_port(options.port ?? files.state.mqttPort)
    .with_client_id(options.clientId ?? files.state.thingName)
    .with_clean_session(true)
    .with_keep_alive_seconds(options.keepAliveSeconds ?? 30)
    .build();
  return new mqtt.MqttClient().new_connection(config);
}
