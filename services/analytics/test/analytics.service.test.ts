import type { Anomaly, AnomalyPage } from '@citus/contracts';
import { AnomalyPage as AnomalyPageSchema } from '@citus/contracts';
import { calmWithSpike, removeDir, startAnalytics, tempDataDir, TelemetryWriter, waitFor, WORKSPACE, type RunningAnalytics } from './support/analytics.fixture.js';

const T0 = Date.UTC(2025, 0, 1, 12);

// The service as the platform mounts it, on real SQLite files: the hub's writer -> telemetry.db ->
// change feed (consumer "analytics") -> detectors -> analytics.db -> HTTP and events.
describe('the analytics service on the telemetry change feed', () => {
  let dataDir: string;
  let hub: TelemetryWriter;
  const running: RunningAnalytics[] = [];

  const start = async (dir = dataDir) => {
    const service = await startAnalytics(dir);
    running.push(service);
    return service;
  };
  const anomalies = async (service: RunningAnalytics, query = '') => {
    const response = await service.request<AnomalyPage>('GET', `/anomalies${query}`);
    expect(response.status).toBe(200);
    return AnomalyPageSchema.parse(response.body);
  };
  /** Every score of the series, by asking for each point (threshold 0 on the series). */
  const scoreEverything = (service: RunningAnalytics, thingName: string, field: string) =>
    service.request('PUT', `/anomalies/settings/series?thingName=${thingName}&field=${field}`, { body: { detector: 'windowed-gaussian', threshold: 0 } });

  beforeEach(() => {
    dataDir = tempDataDir();
    hub = new TelemetryWriter(dataDir);
  });
  afterEach(async () => {
    for (const service of running.splice(0)) await service.stop();
    hub.close();
    removeDir(dataDir);
  });

  it('finds a spike in a calm series, stores it, serves it and announces it', async () => {
    const service = await start();
    expect(service.health.report().body.parts).toEqual({ analytics: true });
    const settings = await service.request('PUT', '/anomalies/settings', { body: { detector: 'windowed-gaussian', threshold: 0.999, enabled: true } });
    expect(settings.status).toBe(200);
    hub.write('pump-1', calmWithSpike(60, 45, T0));
    await waitFor(() => service.announced.some((a) => a.epoch === T0 + 45_000), 'the spike to be announced');
    const page = await anomalies(service, '?thingName=pump-1&field=temperature');
    const spike = page.items.find((a) => a.epoch === T0 + 45_000);
    expect(spike).toEqual({
      id: expect.stringMatching(/^anm_/),
      workspaceId: WORKSPACE,
      thingName: 'pump-1',
      field: 'temperature',
      epoch: T0 + 45_000,
      value: 100,
      score: expect.any(Number),
      detector: 'windowed-gaussian',
    });
    expect(spike?.score).toBeGreaterThanOrEqual(0.999);
    // Only the first few points (while the detector has seen almost nothing) may score that high besides.
    expect(page.items.filter((a) => a.epoch !== T0 + 45_000).every((a) => a.epoch < T0 + 10_000)).toBe(true);
    expect(service.announced.map((a) => a.id).sort()).toEqual(page.items.map((a) => a.id).sort());
  });

  it('keeps the stream apart, and goes on past payloads that are not telemetry it can score', async () => {
    const service = await start();
    await scoreEverything(service, 'pump-2', 'rpm');
    hub.write('pump-2', [
      { epoch: T0, payload: 'not json at all' },
      { epoch: T0 + 1, payload: '[1, 2, 3]' },
      { epoch: T0 + 2, payload: { rpm: 'fast', label: 'x' } },
      { epoch: T0 + 3, payload: { rpm: 900 } },
    ]);
    const res = await service.request('PUT', '/anomalies/settings/series?thingName=pump-2&stream=engine&field=rpm', { body: { threshold: 0 } });
    expect(res.status).toBe(200);
    hub.write('pump-2', [{ epoch: T0 + 4, payload: { rpm: 950 } }], { stream: 'engine' });
    await waitFor(() => service.announced.length === 2, 'both streams to be scored');
    expect((await anomalies(service)).items.map(({ stream, epoch }) => [stream, epoch])).toEqual([
      ['engine', T0 + 4],
      [undefined, T0 + 3],
    ]);
  });

  it('continues after a stop exactly where it stopped: the same scores as a run straight through', async () => {
    const series = calmWithSpike(120, 90, T0);
    const straightDir = tempDataDir();
    const straightHub = new TelemetryWriter(straightDir);
    try {
      const straight = await start(straightDir);
      await scoreEverything(straight, 'pump-1', 'temperature');
      straightHub.write('pump-1', series);
      await waitFor(() => straight.announced.length === 120, 'the straight run');

      let service = await start();
      await scoreEverything(service, 'pump-1', 'temperature');
      hub.write('pump-1', series.slice(0, 60));
      await waitFor(() => service.announced.length === 60, 'the first half');
      await service.stop();
      hub.write('pump-1', series.slice(60));
      service = await start();
      await waitFor(() => service.announced.length === 60, 'the second half');
      const scores = (page: Anomaly[]) => page.map(({ epoch, score }) => [epoch, score]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
      expect(scores((await anomalies(service, '?limit=1000')).items)).toEqual(scores((await anomalies(straight, '?limit=1000')).items));
    } finally {
      straightHub.close();
      removeDir(straightDir);
    }
  });

  it('pages newest first and narrows by time', async () => {
    const service = await start();
    await scoreEverything(service, 'pump-1', 'temperature');
    hub.write('pump-1', calmWithSpike(25, -1, T0));
    await waitFor(() => service.announced.length === 25, 'every point');
    const seen: number[] = [];
    let next: string | undefined;
    do {
      const page = await anomalies(service, `?limit=10${next ? `&next=${next}` : ''}`);
      seen.push(...page.items.map((a) => a.epoch));
      next = page.next;
    } while (next);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => T0 + (24 - i) * 1_000));
    const range = await anomalies(service, `?from=${T0 + 5_000}&to=${new Date(T0 + 7_000).toISOString()}`);
    expect(range.items.map((a) => a.epoch)).toEqual([T0 + 7_000, T0 + 6_000, T0 + 5_000]);
  });

  it('forgets a deleted thing\'s detectors and settings, and keeps its anomalies', async () => {
    const service = await start();
    await scoreEverything(service, 'pump-1', 'temperature');
    hub.write('pump-1', calmWithSpike(5, -1, T0));
    await waitFor(() => service.announced.length === 5, 'every point');
    // The detection thread reports its counts a few times a second.
    await waitFor(() => service.module.detection.stats().liveSeries === 1, 'the series to be live');
    service.events.emit('thing.deleted', { workspaceId: WORKSPACE, thingName: 'pump-1' });
    await waitFor(() => service.module.detection.stats().liveSeries === 0, 'the series to be forgotten');
    const settings = await service.request<{ overrides: object }>('GET', '/anomalies/settings/series?thingName=pump-1&field=temperature');
    expect(settings.body.overrides).toEqual({});
    expect((await anomalies(service)).items).toHaveLength(5);
  });

  it('streams the workspace\'s new anomalies (of one thing when named) until the platform stops', async () => {
    const service = await start();
    await scoreEverything(service, 'pump-1', 'temperature');
    await scoreEverything(service, 'pump-2', 'temperature');
    const open = async (query: string, workspace = WORKSPACE) => {
      const response = await fetch(`${service.apiUrl}/anomalies/stream${query}`, { headers: { 'x-test-workspace': workspace } });
      expect(response.status).toBe(200);
      return (response.body as ReadableStream<Uint8Array>).getReader();
    };
    const readAll = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
      let text = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
      return [...text.matchAll(/event: anomaly\ndata: (.*)\n\n/g)].map((match) => JSON.parse(match[1] ?? '') as Anomaly);
    };
    const all = await open('');
    const pumpTwo = await open('?thingName=pump-2');
    const elsewhere = await open('', 'ws_other');
    hub.write('pump-1', calmWithSpike(2, -1, T0));
    hub.write('pump-2', calmWithSpike(3, -1, T0));
    await waitFor(() => service.announced.length === 5, 'every point');
    service.events.emit('platform.stopping', {});
    expect((await readAll(all)).map((a) => a.thingName).sort()).toEqual(['pump-1', 'pump-1', 'pump-2', 'pump-2', 'pump-2']);
    expect((await readAll(pumpTwo)).map((a) => a.epoch)).toEqual([T0, T0 + 1_000, T0 + 2_000]);
    expect(await readAll(elsewhere)).toEqual([]);
  });
});
