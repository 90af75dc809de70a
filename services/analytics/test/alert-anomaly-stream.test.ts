import { request, type IncomingMessage } from 'node:http';
import type { Anomaly } from '@citus/contracts';
import { MAX_STREAM_BACKLOG_BYTES } from '../src/adapters/http/anomaly.routes.js';
import { removeDir, startAnalytics, tempDataDir, WORKSPACE, type RunningAnalytics } from './support/analytics.fixture.js';

const anomaly = (i: number): Anomaly => ({
  id: `anm_${i}`,
  workspaceId: WORKSPACE,
  thingName: 'pump-1',
  field: 'temperature',
  epoch: Date.UTC(2025, 0, 1) + i,
  value: 99,
  score: 0.999,
  detector: 'windowed-gaussian',
});

// The live anomaly stream behind a real HTTP server, read by a client that stops reading.
describe('the anomaly stream', () => {
  let dataDir: string;
  let service: RunningAnalytics;

  beforeEach(async () => {
    dataDir = tempDataDir();
    service = await startAnalytics(dataDir);
  });
  afterEach(async () => {
    await service.stop();
    removeDir(dataDir);
  });

  const connect = () =>
    new Promise<{ response: IncomingMessage; closed: Promise<void> }>((resolve, reject) => {
      const req = request(`${service.apiUrl}/anomalies/stream`, { headers: { 'x-test-role': 'user' } });
      const closed = new Promise<void>((done) => req.on('close', done));
      req.on('response', (response) => resolve({ response, closed }));
      req.on('error', reject);
      req.end();
    });

  it(`ends the stream of a client that stops reading once more than ${MAX_STREAM_BACKLOG_BYTES} bytes wait for it`, async () => {
    const { response, closed } = await connect();
    expect(response.statusCode).toBe(200);
    response.pause();
    // Far more than the backlog and both sockets' buffers hold; the client only sees the end once it reads again.
    let sent = 0;
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 1_000; i++) {
        const next = anomaly(round * 1_000 + i);
        sent += JSON.stringify(next).length;
        service.events.emit('anomaly.detected', next);
      }
      await new Promise((done) => setImmediate(done));
    }
    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    response.on('error', () => undefined);
    response.resume();
    await closed;
    expect(received).toBeLessThan(sent);
    // 100,000 events through a paused socket: 5-7 s here, over 30 s on a loaded machine.
  }, 120_000);

  it('keeps streaming to a client that reads', async () => {
    const { response } = await connect();
    const received: string[] = [];
    response.setEncoding('utf8').on('data', (text: string) => received.push(text));
    service.events.emit('anomaly.detected', anomaly(1));
    service.events.emit('anomaly.detected', { ...anomaly(2), workspaceId: 'ws_other' });
    for (let i = 0; i < 200 && !received.join('').includes('anm_1'); i++) await new Promise((done) => setTimeout(done, 10));
    expect(received.join('')).toContain('event: anomaly\ndata: {"id":"anm_1"');
    expect(received.join('')).not.toContain('anm_2');
    response.destroy();
  });
});
