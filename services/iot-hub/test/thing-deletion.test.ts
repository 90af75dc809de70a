import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { CONNECTIVITY_MIGRATIONS, SqliteConnectivityRepository } from '../src/adapters/sqlite/connectivity.repository.js';
import { JOB_MIGRATIONS, SqliteJobRepository } from '../src/adapters/sqlite/job.repository.js';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from '../src/adapters/sqlite/shadow.repository.js';
import { JobControlService } from '../src/app/job-control.service.js';
import { JobsService } from '../src/app/jobs.service.js';
import { RolloutService } from '../src/app/rollout.service.js';
import { PresenceService, type ConnectionFacts } from '../src/app/presence.service.js';
import { ShadowService } from '../src/app/shadow.service.js';
import { queuedExecution } from '../src/domain/jobs/job-execution.rules.js';
import type { MessagePublisher, OutboundMessage } from '../src/domain/message-publisher.port.js';

// What the hub does when the registry deletes a thing (the `thing.deleted` platform event).
const WS = 'ws_a';
const OTHER_WS = 'ws_b';
const T0 = Date.UTC(2025, 0, 1, 12);
const MINUTE = 60_000;
const logger = createLogger({ level: 'silent' });

let dir: string;
let sent: OutboundMessage[];
const publisher: MessagePublisher = { publish: async (message) => void sent.push(message) };
const topics = () => sent.map((message) => message.topic);
const open = (file: string, module: string, migrations: Parameters<typeof openDatabase>[1]['migrations']): SqliteDatabase =>
  openDatabase(join(dir, file), { module, migrations });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citus-thing-deletion-'));
  sent = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a deleted thing’s job executions', () => {
  let db: SqliteDatabase;
  let repository: SqliteJobRepository;
  let jobs: JobsService;
  let control: JobControlService;
  const clock = { now: T0 };

  beforeEach(() => {
    clock.now = T0;
    db = open('jobs.db', 'jobs', JOB_MIGRATIONS);
    repository = new SqliteJobRepository(db);
    jobs = new JobsService(repository, publisher, logger, { now: () => clock.now });
    control = new JobControlService(repository, jobs, new RolloutService(repository, jobs, {}, logger), { workspaceOfThing: (name) => (name.startsWith('thing-') ? WS : undefined) });
  });
  afterEach(() => db.close());

  const statusOf = (jobId: string, thingName: string) => repository.getExecution(WS, thingName, jobId);

  it('become REMOVED with an event each; a job with no open execution left completes', async () => {
    await control.create(WS, { jobId: 'solo', targets: ['thing-a'], document: {} });
    await control.create(WS, { jobId: 'pair', targets: ['thing-a', 'thing-b'], document: {}, timeoutConfig: { inProgressTimeoutInMinutes: 5 } });
    await control.create(WS, { jobId: 'done', targets: ['thing-a'], document: {} });
    await jobs.update(WS, 'thing-a', 'done', { status: 'SUCCEEDED' });
    await jobs.update(WS, 'thing-a', 'pair', { status: 'IN_PROGRESS', statusDetails: { step: 'download' } });
    sent = [];
    clock.now = T0 + MINUTE;

    await expect(jobs.removeThing(WS, 'thing-a')).resolves.toBe(2);

    expect(statusOf('solo', 'thing-a')).toMatchObject({ status: 'REMOVED', versionNumber: 2, lastUpdatedAt: T0 + MINUTE });
    expect(statusOf('pair', 'thing-a')).toMatchObject({ status: 'REMOVED', versionNumber: 3, statusDetails: { step: 'download' } });
    expect(statusOf('pair', 'thing-a')?.inProgressDeadline).toBeUndefined();
    expect(statusOf('done', 'thing-a')).toMatchObject({ status: 'SUCCEEDED' });
    expect(statusOf('pair', 'thing-b')).toMatchObject({ status: 'QUEUED', versionNumber: 1 });
    // Cloud-side events only: the deleted thing is told nothing, thing-b's list did not change.
    expect(topics().sort()).toEqual(['$aws/events/job/solo/completed', '$aws/events/jobExecution/pair/removed', '$aws/events/jobExecution/solo/removed']);
    expect(sent.find((message) => message.topic.endsWith('pair/removed'))?.payload).toMatchObject({
      eventType: 'JOB_EXECUTION',
      operation: 'removed',
      jobId: 'pair',
      thingName: 'thing-a',
      status: 'REMOVED',
      statusDetails: { step: 'download' },
    });
    expect(sent.find((message) => message.topic.endsWith('solo/completed'))?.payload).toMatchObject({ status: 'COMPLETED', jobProcessDetails: { numberOfRemovedThings: 1 } });
    expect(control.get(WS, 'solo')).toMatchObject({ status: 'COMPLETED', completedAt: new Date(T0 + MINUTE).toISOString(), executionCounts: { REMOVED: 1 } });
    expect(control.get(WS, 'pair')).toMatchObject({ status: 'IN_PROGRESS', executionCounts: { REMOVED: 1, QUEUED: 1 } });

    // A removed execution is terminal: no timer fires on it, no device request moves it.
    clock.now = T0 + 10 * MINUTE;
    await expect(jobs.sweep()).resolves.toBe(0);
    const late = await jobs.update(WS, 'thing-a', 'pair', { status: 'SUCCEEDED' });
    expect(late.answer).toEqual({ rejected: expect.objectContaining({ code: 'InvalidStateTransition' }) });
    await expect(jobs.removeThing(WS, 'thing-a')).resolves.toBe(0);
  });

  it('leaves a canceled job canceled, and another workspace’s thing of the same name alone', async () => {
    await control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: {} });
    await jobs.startNext(WS, 'thing-a', {});
    await control.cancel(WS, 'j1', {}); // not forced: the IN_PROGRESS execution keeps running
    const theirs = { workspaceId: OTHER_WS, jobId: 'j1', document: {}, status: 'IN_PROGRESS' as const, forceCanceled: false, createdAt: T0, lastUpdatedAt: T0 };
    repository.insertJob(theirs);
    repository.saveExecution(queuedExecution(theirs, 'thing-a'));
    sent = [];

    await expect(jobs.removeThing(WS, 'thing-a')).resolves.toBe(1);
    expect(control.get(WS, 'j1')).toMatchObject({ status: 'CANCELED', executionCounts: { REMOVED: 1 } });
    expect(topics()).toEqual(['$aws/events/jobExecution/j1/removed']);
    expect(repository.getExecution(OTHER_WS, 'thing-a', 'j1')).toMatchObject({ status: 'QUEUED' });
    expect(repository.getJob(OTHER_WS, 'j1')).toMatchObject({ status: 'IN_PROGRESS' });
  });
});

describe('a deleted thing’s shadows', () => {
  let db: SqliteDatabase;
  let shadows: ShadowService;
  const LAMP = { workspaceId: WS, thingName: 'lamp-1' };
  const body = (value: unknown) => ({ payload: Buffer.from(JSON.stringify(value)) });
  const reported = body({ state: { reported: { on: true } } });
  const rows = () => db.prepare('SELECT workspace_id, thing_name, shadow_name FROM shadows ORDER BY 1, 2, 3').raw().all();

  beforeEach(() => {
    db = open('shadows.db', 'shadows', SHADOW_MIGRATIONS);
    shadows = new ShadowService(new SqliteShadowRepository(db), publisher, logger, { now: () => T0 });
  });
  afterEach(() => db.close());

  it('are gone from the store and the memory, classic and named, with nothing published', async () => {
    await shadows.update(LAMP, reported);
    await shadows.update({ ...LAMP, shadowName: 'config' }, reported);
    await shadows.update({ ...LAMP, shadowName: 'gone' }, reported);
    await shadows.delete({ ...LAMP, shadowName: 'gone' }, { payload: Buffer.alloc(0) }); // a row without a document
    await shadows.update({ ...LAMP, thingName: 'lamp-2' }, reported);
    await shadows.update({ ...LAMP, workspaceId: OTHER_WS }, reported);
    sent = [];

    expect(await shadows.forgetThing(WS, 'lamp-1')).toBe(3);
    expect(sent).toEqual([]);
    expect(rows()).toEqual([
      [WS, 'lamp-2', ''],
      [OTHER_WS, 'lamp-1', ''],
    ]);
    // Not served from memory either: a get answers 404, and a new shadow starts at version 1.
    expect(await shadows.get(LAMP, { payload: Buffer.alloc(0) })).toEqual({ ok: false, error: { code: 404, message: "No shadow exists with name: 'lamp-1'" } });
    expect(await shadows.get({ ...LAMP, shadowName: 'config' }, { payload: Buffer.alloc(0) })).toMatchObject({ ok: false, error: { code: 404 } });
    expect(await shadows.update(LAMP, reported)).toMatchObject({ ok: true, value: { version: 1 } });
    expect((await shadows.get({ ...LAMP, workspaceId: OTHER_WS }, { payload: Buffer.alloc(0) })).ok).toBe(true);
  });

  it('commits a write still queued before deleting, so it cannot bring the shadow back', async () => {
    const queued = shadows.update(LAMP, reported); // accepted in memory, its write not yet committed
    expect(await shadows.forgetThing(WS, 'lamp-1')).toBe(1);
    await queued;
    expect(rows()).toEqual([]);
    expect(new SqliteShadowRepository(db).load({ ...LAMP, shadowName: '' })).toBeUndefined();
  });

  it('starts an update that comes while the delete is being committed from nothing, and commits it after the delete', async () => {
    await shadows.update(LAMP, body({ state: { reported: { old: true }, desired: { valve: 'open' } } }));
    await shadows.update(LAMP, reported);
    const repository = new SqliteShadowRepository(db);
    let commitDelete: () => void = () => undefined;
    const slow = new ShadowService(
      {
        load: (key) => repository.load(key),
        write: (writes) => repository.write(writes),
        deleteThing: (workspaceId, thingName) => new Promise<number>((resolve) => (commitDelete = () => void repository.deleteThing(workspaceId, thingName).then(resolve))),
      },
      { publish: async () => undefined },
      createLogger({ level: 'silent' }),
    );
    const gone = slow.forgetThing(WS, 'lamp-1');
    await new Promise((resolve) => setImmediate(resolve));
    // The store still has version 2 with the old desired state; the update must not build on it.
    const during = slow.update(LAMP, body({ state: { reported: { fresh: 1 } } }));
    commitDelete();
    expect(await gone).toBe(1);
    const answer = await during;
    expect(answer.ok && answer.value.version).toBe(1);
    expect(repository.load({ ...LAMP, shadowName: '' })).toMatchObject({ version: 1, content: { state: { reported: { fresh: 1 } } } });
    expect(repository.load({ ...LAMP, shadowName: '' })?.content?.state).not.toHaveProperty('desired');
  });

  it('the repository deletes one thing of one workspace and answers how many rows', async () => {
    const repository = new SqliteShadowRepository(db);
    const write = (workspaceId: string, thingName: string, shadowName: string) => ({ workspaceId, thingName, shadowName, version: 4, updatedAt: T0 });
    await repository.write([write(WS, 'lamp-1', ''), write(WS, 'lamp-1', 'a'), write(WS, 'lamp-10', ''), write(OTHER_WS, 'lamp-1', '')]);
    expect(await repository.deleteThing(WS, 'lamp-1')).toBe(2);
    expect(await repository.deleteThing(WS, 'lamp-1')).toBe(0);
    expect(rows()).toEqual([
      [WS, 'lamp-10', ''],
      [OTHER_WS, 'lamp-1', ''],
    ]);
  });
});

describe('a deleted thing’s connectivity', () => {
  let db: SqliteDatabase;
  let presence: PresenceService;
  const facts = (workspaceId: string): ConnectionFacts => ({
    requester: { clientId: 'porch-1', workspaceId, thingName: 'porch-1', certificateId: 'a'.repeat(64) },
    sessionIdentifier: 's1',
    ipAddress: '127.0.0.1',
  });

  beforeEach(() => {
    db = open('presence.db', 'presence', CONNECTIVITY_MIGRATIONS);
    presence = new PresenceService(new SqliteConnectivityRepository(db), publisher, logger, () => T0);
  });
  afterEach(() => db.close());

  it('is removed, only from the thing’s own workspace', () => {
    presence.connected(facts(WS));
    presence.disconnected(facts(WS), 'AUTH_ERROR');
    expect(presence.connectivityOf('porch-1')).toEqual({ connected: false, timestamp: T0, disconnectReason: 'AUTH_ERROR' });
    sent = [];
    expect(presence.forgetThing(OTHER_WS, 'porch-1')).toBe(false);
    expect(presence.connectivityOf('porch-1')).toBeDefined();
    expect(presence.forgetThing(WS, 'porch-1')).toBe(true);
    expect(presence.connectivityOf('porch-1')).toBeUndefined();
    expect(db.prepare('SELECT count(*) FROM connectivity').pluck().get()).toBe(0);
    expect(sent).toEqual([]);
    // A later client of that id starts its presence versions afresh.
    presence.connected(facts(WS));
    expect(sent[0]?.payload).toMatchObject({ versionNumber: 1 });
  });
});
