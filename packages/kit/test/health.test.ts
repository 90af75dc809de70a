import { Health } from '@citus/contracts';
import { HealthRegistry } from '../src/health.js';

describe('HealthRegistry', () => {
  it('is starting until every part is ready, then ok', () => {
    const health = new HealthRegistry();
    const db = health.register('db');
    const mqtt = health.register('mqtt');
    expect(health.report()).toEqual({ healthy: false, body: { status: 'starting', parts: { db: false, mqtt: false } } });
    db(true);
    expect(health.report().healthy).toBe(false);
    mqtt(true);
    expect(health.report()).toEqual({ healthy: true, body: { status: 'ok', parts: { db: true, mqtt: true } } });
  });

  it('turns unhealthy again when a part stops being ready', () => {
    const health = new HealthRegistry();
    const db = health.register('db');
    db(true);
    db(false);
    expect(health.report().body).toEqual({ status: 'starting', parts: { db: false } });
  });

  it('reports stopping, unhealthy, once marked, even with every part ready', () => {
    const health = new HealthRegistry();
    health.register('db')(true);
    health.markStopping();
    expect(health.report()).toMatchObject({ healthy: false, body: { status: 'stopping' } });
  });

  it('answers a body that satisfies the Health contract', () => {
    const health = new HealthRegistry();
    health.register('db');
    expect(Health.safeParse(health.report().body).success).toBe(true);
  });
});
