import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from '../src/adapters/sqlite/shadow.repository.js';
import { ShadowService } from '../src/app/shadow.service.js';
import type { MessagePublisher, OutboundMessage } from '../src/domain/message-publisher.port.js';
import type { ShadowRepository } from '../src/domain/shadow/shadow.model.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const SECONDS = NOW / 1000;
const LAMP = { workspaceId: 'ws_a', thingName: 'lamp-1' };
const P = '$aws/things/lamp-1/shadow';
const json = (value: unknown) => ({ payload: Buffer.from(JSON.stringify(value)) });

describe('the shadow service', () => {
  let dir: string;
  let db: SqliteDatabase;
  let sent: OutboundMessage[];
  let service: ShadowService;
  const publisher: MessagePublisher = { publish: async (message) => void sent.push(message) };
  const logger = createLogger({ level: 'silent' });
  const serviceOver = (repository: ShadowRepository, maxCached?: number) =>
    new ShadowService(repository, publisher, logger, { now: () => NOW, maxCached });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-shadow-service-'));
    db = openDatabase(join(dir, 'shadows.db'), { module: 'shadows', migrations: SHADOW_MIGRATIONS });
    sent = [];
    service = serviceOver(new SqliteShadowRepository(db));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const topics = () => sent.map((message) => message.topic.replace(P, 'P'));

  it('answers an update with accepted, delta and documents, the reply to the requester', async () => {
    const outcome = await service.update(LAMP, json({ state: { desired: { on: true } }, clientToken: 'c1' }), 'lamp-1');
    expect(outcome.ok).toBe(true);
    expect(topics()).toEqual(['P/update/accepted', 'P/update/delta', 'P/update/documents']);
    expect(sent[0]).toEqual({
      topic: `${P}/update/accepted`,
      requester: 'lamp-1',
      payload: { state: { desired: { on: true } }, metadata: { desired: { on: { timestamp: SECONDS } } }, version: 1, timestamp: SECONDS, clientToken: 'c1' },
    });
    expect(sent[1]).toEqual({
      topic: `${P}/update/delta`,
      payload: { state: { on: true }, metadata: { on: { timestamp: SECONDS } }, version: 1, timestamp: SECONDS, clientToken: 'c1' },
    });
    expect(sent[2]?.payload).toEqual({
      current: { state: { desired: { on: true } }, metadata: { desired: { on: { timestamp: SECONDS } } }, version: 1 },
      timestamp: SECONDS,
      clientToken: 'c1',
    });
  });

  it('sends no delta once reported matches, and documents carry previous and current', async () => {
    await service.update(LAMP, json({ state: { desired: { on: true } } }), 'app');
    sent = [];
    await service.update(LAMP, json({ state: { reported: { on: true } } }), 'lamp-1');
    expect(topics()).toEqual(['P/update/accepted', 'P/update/documents']);
    expect(sent[1]?.payload).toMatchObject({ previous: { version: 1, state: { desired: { on: true } } }, current: { version: 2 } });
  });

  it('rejects a version conflict with 409 and applies a matching version', async () => {
    await service.update(LAMP, json({ state: { reported: { a: 1 } } }), 'lamp-1');
    sent = [];
    expect(await service.update(LAMP, json({ state: { reported: { a: 2 } }, version: 5, clientToken: 'v' }), 'lamp-1')).toEqual({
      ok: false,
      error: { code: 409, message: 'Version conflict' },
    });
    expect(sent).toEqual([
      { topic: `${P}/update/rejected`, requester: 'lamp-1', payload: { code: 409, message: 'Version conflict', timestamp: SECONDS, clientToken: 'v' } },
    ]);
    expect((await service.update(LAMP, json({ state: { reported: { a: 2 } }, version: 1 }), 'lamp-1')).ok).toBe(true);
  });

  it('answers get with the document and delta, 404 when there is none, on named shadows apart', async () => {
    expect(await service.get(LAMP, { payload: Buffer.alloc(0) }, 'lamp-1')).toEqual({
      ok: false,
      error: { code: 404, message: "No shadow exists with name: 'lamp-1'" },
    });
    await service.update({ ...LAMP, shadowName: 'fw' }, json({ state: { desired: { v: 2 }, reported: { v: 1 } } }), 'lamp-1');
    const named = await service.get({ ...LAMP, shadowName: 'fw' }, json({ clientToken: 'g' }), 'lamp-1');
    expect(named).toEqual({
      ok: true,
      value: {
        state: { desired: { v: 2 }, reported: { v: 1 }, delta: { v: 2 } },
        metadata: { desired: { v: { timestamp: SECONDS } }, reported: { v: { timestamp: SECONDS } } },
        version: 1,
        timestamp: SECONDS,
        clientToken: 'g',
      },
    });
    expect(sent.at(-1)?.topic).toBe(`${P}/name/fw/get/accepted`);
    expect((await service.get(LAMP, { body: {} })).ok).toBe(false);
  });

  it('deletes, keeps the version counter, and a new shadow continues from it across a restart', async () => {
    await service.update(LAMP, json({ state: { reported: { a: 1 } } }), 'lamp-1');
    await service.update(LAMP, json({ state: { reported: { a: 2 } } }), 'lamp-1');
    expect(await service.delete(LAMP, json({ clientToken: 'd' }), 'lamp-1')).toEqual({ ok: true, value: { version: 2, timestamp: SECONDS, clientToken: 'd' } });
    expect((await service.delete(LAMP, { payload: Buffer.alloc(0) }, 'lamp-1')).ok).toBe(false);
    const restarted = serviceOver(new SqliteShadowRepository(db));
    expect((await restarted.get(LAMP, { body: {} })).ok).toBe(false);
    const again = await restarted.update(LAMP, json({ state: { reported: { a: 3 } } }), 'lamp-1');
    expect(again.ok && again.value.version).toBe(3);
  });

  it('keeps replies in request order, a rejection after the updates before it', async () => {
    const answers = await Promise.all([
      service.update(LAMP, json({ state: { reported: { n: 1 } }, clientToken: '1' }), 'lamp-1'),
      service.update(LAMP, json({ state: { reported: { n: 2 } }, clientToken: '2' }), 'lamp-1'),
      service.update(LAMP, json({ state: { reported: { n: 3 } }, version: 1, clientToken: '3' }), 'lamp-1'),
      service.get(LAMP, json({ clientToken: '4' }), 'lamp-1'),
    ]);
    expect(answers.map((answer) => answer.ok)).toEqual([true, true, false, true]);
    const replies = sent.filter((message) => /accepted|rejected/.test(message.topic));
    expect(replies.map((message) => [message.topic.replace(P, 'P'), (message.payload as { clientToken: string }).clientToken])).toEqual([
      ['P/update/accepted', '1'],
      ['P/update/accepted', '2'],
      ['P/update/rejected', '3'],
      ['P/get/accepted', '4'],
    ]);
    expect((replies[3]?.payload as { version: number }).version).toBe(2);
  });

  it('commits the updates of many shadows in one transaction, before any reply', async () => {
    const repository = new SqliteShadowRepository(db);
    const batches: number[] = [];
    const counting: ShadowRepository = {
      load: (key) => repository.load(key),
      write: (writes) => {
        expect(sent).toHaveLength(0);
        batches.push(writes.length);
        return repository.write(writes);
      },
      deleteThing: (workspaceId, thingName) => repository.deleteThing(workspaceId, thingName),
    };
    service = serviceOver(counting);
    const things = Array.from({ length: 50 }, (_, index) => `lamp-${index}`);
    await Promise.all(things.map((thingName) => service.update({ workspaceId: 'ws_a', thingName }, json({ state: { reported: { on: true } } }), thingName)));
    expect(batches).toEqual([50]);
    expect(sent.filter((message) => message.topic.endsWith('/update/accepted'))).toHaveLength(50);
  });

  it('answers 500 when the write fails, and reloads the shadow from the store afterwards', async () => {
    const repository = new SqliteShadowRepository(db);
    let failing = false;
    service = serviceOver({
      load: (key) => repository.load(key),
      write: (writes) => (failing ? Promise.reject(new Error('disk full')) : repository.write(writes)),
      deleteThing: (workspaceId, thingName) => repository.deleteThing(workspaceId, thingName),
    });
    await service.update(LAMP, json({ state: { reported: { a: 1 } } }), 'lamp-1');
    failing = true;
    expect(await service.update(LAMP, json({ state: { reported: { a: 2 } } }), 'lamp-1')).toEqual({
      ok: false,
      error: { code: 500, message: 'Internal service failure' },
    });
    expect(sent.at(-1)?.topic).toBe(`${P}/update/rejected`);
    failing = false;
    const read = await service.get(LAMP, { body: {} });
    expect(read.ok && [read.value.version, read.value.state.reported]).toEqual([1, { a: 1 }]);
  });

  it('commits nothing built on a batch the store refused: a later update starts again from what the store has', async () => {
    const repository = new SqliteShadowRepository(db);
    let refuse: (error: Error) => void = () => undefined;
    let calls = 0;
    service = serviceOver({
      load: (key) => repository.load(key),
      write: (writes) => (++calls === 1 ? new Promise<void>((_resolve, reject) => (refuse = reject)) : repository.write(writes)),
      deleteThing: (workspaceId, thingName) => repository.deleteThing(workspaceId, thingName),
    });
    const first = service.update(LAMP, json({ state: { reported: { a: 1 } } }));
    await new Promise((resolve) => setImmediate(resolve));
    // Built in memory on the first, queued while the first batch is being written.
    const second = service.update(LAMP, json({ state: { reported: { b: 2 } } }));
    refuse(new Error('disk full'));
    expect((await first).ok).toBe(false);
    expect(await second).toEqual({ ok: false, error: { code: 500, message: 'Internal service failure' } });
    expect(repository.load({ ...LAMP, shadowName: '' })).toBeUndefined();
    const third = await service.update(LAMP, json({ state: { reported: { c: 3 } } }));
    expect(third.ok && third.value.version).toBe(1);
    const read = await service.get(LAMP, { body: {} });
    expect(read.ok && read.value.state.reported).toEqual({ c: 3 });
  });

  it('rejects bad input on the rejected topic without touching the shadow', async () => {
    await service.update(LAMP, json({ state: { reported: { a: 1 } } }), 'lamp-1');
    sent = [];
    const bad: Array<[Promise<unknown>, string, number]> = [
      [service.update(LAMP, { payload: Buffer.from('{nope') }, 'lamp-1'), `${P}/update/rejected`, 400],
      [service.update(LAMP, json({ state: { reported: { blob: 'x'.repeat(9000) } } }), 'lamp-1'), `${P}/update/rejected`, 413],
      [service.update(LAMP, json({ state: { reported: { blob: 'x'.repeat(5000) } } }), 'lamp-1'), `${P}/update/accepted`, 0],
      [service.update(LAMP, json({ state: { desired: { blob: 'y'.repeat(5000) } } }), 'lamp-1'), `${P}/update/rejected`, 413],
      [service.get({ ...LAMP, shadowName: 'bad$name' }, json({}), 'lamp-1'), `${P}/name/bad$name/get/rejected`, 400],
      [service.delete(LAMP, json([1]), 'lamp-1'), `${P}/delete/rejected`, 400],
    ];
    await Promise.all(bad.map(([answer]) => answer));
    const replies = sent.filter((message) => !/delta|documents/.test(message.topic));
    expect(replies.map((message) => [message.topic, (message.payload as { code?: number }).code ?? 0]).sort()).toEqual(
      bad.map(([, topic, code]) => [topic, code]).sort(),
    );
    const read = await service.get(LAMP, { body: {} });
    expect(read.ok && read.value.version).toBe(2);
  });

  it('evicts idle shadows past its cache size and reads them back from the store', async () => {
    service = serviceOver(new SqliteShadowRepository(db), 2);
    for (const thingName of ['a', 'b', 'c', 'd']) await service.update({ workspaceId: 'ws_a', thingName }, json({ state: { reported: { n: thingName } } }));
    const read = await service.get({ workspaceId: 'ws_a', thingName: 'a' }, { body: {} });
    expect(read.ok && read.value.state.reported).toEqual({ n: 'a' });
    const again = await service.update({ workspaceId: 'ws_a', thingName: 'a' }, json({ state: { reported: { n: 'a2' } }, version: 1 }));
    expect(again.ok).toBe(true);
  });
});
