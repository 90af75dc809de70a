import type { ErrorEnvelope } from '@citus/contracts';
import { SeriesSettings } from '@citus/contracts';
import { calmWithSpike, OTHER_WORKSPACE, removeDir, startAnalytics, tempDataDir, TelemetryWriter, waitFor, type RunningAnalytics } from './support/analytics.fixture.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const SERIES = '/anomalies/settings/series?thingName=pump-1&field=temperature';

// The analytics routes: happy, error and security cases, on the real service and SQLite files.
describe('the analytics API', () => {
  let dataDir: string;
  let hub: TelemetryWriter;
  let service: RunningAnalytics;

  beforeAll(async () => {
    dataDir = tempDataDir();
    hub = new TelemetryWriter(dataDir);
    service = await startAnalytics(dataDir);
    await service.request('PUT', '/anomalies/settings', { body: { detector: 'windowed-gaussian', threshold: 0, enabled: true } });
    hub.write('pump-1', calmWithSpike(5, -1, T0));
    await waitFor(() => service.announced.length === 5, 'the points to be scored');
  });
  afterAll(async () => {
    await service.stop();
    hub.close();
    removeDir(dataDir);
  });

  const codeOf = (response: { status: number; body: unknown }) => [response.status, (response.body as ErrorEnvelope).error?.code];

  describe('workspace settings', () => {
    it('starts as the default detector at its own threshold, on, for a workspace nobody configured', async () => {
      const answer = await service.request('GET', '/anomalies/settings', { workspace: 'ws_fresh', role: 'user' });
      expect(answer).toEqual({ status: 200, body: { detector: expect.any(String), threshold: null, enabled: true } });
    });

    it('are set by developers and admins, read by members, and refused to plain users', async () => {
      const body = { detector: 'windowed-gaussian', threshold: 0.5, enabled: false };
      expect(await service.request('PUT', '/anomalies/settings', { workspace: 'ws_dev', role: 'developer', body })).toEqual({ status: 200, body });
      expect(await service.request('GET', '/anomalies/settings', { workspace: 'ws_dev', role: 'user' })).toEqual({ status: 200, body });
      expect(codeOf(await service.request('PUT', '/anomalies/settings', { workspace: 'ws_dev', role: 'user', body }))).toEqual([403, 'forbidden']);
    });

    it('answer 400 with the issues for an unknown detector, a threshold outside [0, 1], or missing and extra fields', async () => {
      for (const body of [
        { detector: 'crystal-ball', threshold: 0.5, enabled: true },
        { detector: 'windowed-gaussian', threshold: 1.5, enabled: true },
        { detector: 'windowed-gaussian', threshold: -0.1, enabled: true },
        { detector: 'windowed-gaussian', enabled: true },
        { detector: 'windowed-gaussian', threshold: 0.5, enabled: true, extra: 1 },
      ]) {
        const answer = await service.request<ErrorEnvelope>('PUT', '/anomalies/settings', { workspace: 'ws_bad', body });
        expect([body, codeOf(answer)]).toEqual([body, [400, 'bad_request']]);
        expect(answer.body.error.details).toEqual([expect.objectContaining({ path: expect.any(Array), message: expect.any(String) })]);
      }
      expect((await service.request('GET', '/anomalies/settings', { workspace: 'ws_bad' })).body).toEqual(expect.objectContaining({ threshold: null }));
    });
  });

  describe('series settings', () => {
    it('override the workspace, show what applies, and go back to it when deleted', async () => {
      const set = await service.request('PUT', SERIES, { role: 'developer', body: { threshold: 0.8 } });
      expect(set.status).toBe(200);
      expect(SeriesSettings.parse(set.body)).toEqual({
        thingName: 'pump-1',
        field: 'temperature',
        overrides: { threshold: 0.8 },
        effective: { detector: 'windowed-gaussian', threshold: 0.8, enabled: true },
      });
      expect((await service.request('GET', SERIES, { role: 'user' })).body).toEqual(set.body);
      expect((await service.request('DELETE', SERIES, { role: 'admin' })).status).toBe(204);
      expect((await service.request('GET', SERIES)).body).toEqual(expect.objectContaining({ overrides: {}, effective: expect.objectContaining({ threshold: 0 }) }));
    });

    it('answer 404 for a thing of another workspace or none, whatever the method', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const body = method === 'PUT' ? { threshold: 0.5 } : undefined;
        expect(codeOf(await service.request(method, '/anomalies/settings/series?thingName=boiler-9&field=temperature', { body }))).toEqual([404, 'not_found']);
        expect(codeOf(await service.request(method, '/anomalies/settings/series?thingName=nobody&field=temperature', { body }))).toEqual([404, 'not_found']);
      }
      // Its own workspace finds it.
      expect((await service.request('GET', '/anomalies/settings/series?thingName=boiler-9&field=temperature', { workspace: OTHER_WORKSPACE })).status).toBe(200);
    });

    it('are changed by developers only, and answer 400 for a bad series or body', async () => {
      expect(codeOf(await service.request('PUT', SERIES, { role: 'user', body: { threshold: 0.5 } }))).toEqual([403, 'forbidden']);
      expect(codeOf(await service.request('DELETE', SERIES, { role: 'user' }))).toEqual([403, 'forbidden']);
      for (const [path, body] of [
        ['/anomalies/settings/series?thingName=pump-1', { threshold: 0.5 }],
        ['/anomalies/settings/series?thingName=bad%20name&field=x', { threshold: 0.5 }],
        ['/anomalies/settings/series?thingName=pump-1&stream=no/slash&field=x', { threshold: 0.5 }],
        [SERIES, { threshold: 2 }],
        [SERIES, { detector: 'crystal-ball' }],
        [SERIES, { enabled: 'yes' }],
        [SERIES, { colour: 'red' }],
      ] as const) {
        expect([path, body, codeOf(await service.request('PUT', path, { body }))]).toEqual([path, body, [400, 'bad_request']]);
      }
    });
  });

  describe('anomalies', () => {
    it('are the caller workspace\'s only: another sees none of them', async () => {
      expect((await service.request<{ items: unknown[] }>('GET', '/anomalies')).body.items.length).toBeGreaterThanOrEqual(5);
      expect((await service.request('GET', '/anomalies', { workspace: OTHER_WORKSPACE })).body).toEqual({ items: [] });
      expect((await service.request('GET', '/anomalies?thingName=pump-1', { workspace: OTHER_WORKSPACE })).body).toEqual({ items: [] });
    });

    it('answer 400 for a bad query or cursor', async () => {
      for (const query of ['limit=0', 'limit=1001', 'from=yesterday', `from=${T0 + 1}&to=${T0}`, 'thingName=no%20spaces', 'next=not-a-cursor']) {
        expect([query, codeOf(await service.request('GET', `/anomalies?${query}`))]).toEqual([query, [400, 'bad_request']]);
      }
      expect(codeOf(await service.request('GET', '/anomalies/stream?thingName=no%20spaces'))).toEqual([400, 'bad_request']);
    });
  });
});
