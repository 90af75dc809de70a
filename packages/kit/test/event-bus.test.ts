import { EventBus } from '../src/service.js';
import { captureLogger } from './support/capture-logger.js';

const revoked = { thingName: 'kitchen-1', certificateId: 'abc' };

describe('EventBus', () => {
  it('delivers a payload to every listener of the event only', () => {
    const bus = new EventBus(captureLogger('silent').logger);
    const seen: string[] = [];
    bus.on('certificate.revoked', (payload) => seen.push(`a:${payload.thingName}`));
    bus.on('certificate.revoked', (payload) => seen.push(`b:${payload.certificateId}`));
    bus.on('telemetry.stored', () => seen.push('wrong event'));
    bus.emit('certificate.revoked', revoked);
    expect(seen).toEqual(['a:kitchen-1', 'b:abc']);
  });

  it('keeps a throwing listener from breaking emit or the listeners after it, and logs it', () => {
    const log = captureLogger();
    const bus = new EventBus(log.logger);
    const seen: string[] = [];
    bus.on('certificate.revoked', () => {
      throw new Error('listener bug');
    });
    bus.on('certificate.revoked', (payload) => seen.push(payload.thingName));
    expect(() => bus.emit('certificate.revoked', revoked)).not.toThrow();
    expect(seen).toEqual(['kitchen-1']);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ event: 'certificate.revoked', msg: 'event listener failed', err: expect.objectContaining({ message: 'listener bug' }) }),
    );
  });

  it('stops delivering once unsubscribed', () => {
    const bus = new EventBus(captureLogger('silent').logger);
    let calls = 0;
    const off = bus.on('certificate.revoked', () => calls++);
    bus.emit('certificate.revoked', revoked);
    off();
    bus.emit('certificate.revoked', revoked);
    expect(calls).toBe(1);
  });
});
