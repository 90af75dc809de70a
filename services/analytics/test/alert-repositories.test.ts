import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertRuleRequest, AnalyserRequest } from '@citus/contracts';
import { AppError, createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { ZodError } from 'zod';
import { ALERT_MIGRATIONS } from '../src/adapters/sqlite/alert.migrations.js';
import { SqliteAlertRuleRepository } from '../src/adapters/sqlite/alert-rule.repository.js';
import { SqliteAnalyserRepository } from '../src/adapters/sqlite/analyser.repository.js';

const WS = 'ws_store';
const rule = (id: string, name: string) => ({
  id,
  workspaceId: WS,
  definition: AlertRuleRequest.parse({ name, trigger: { anomaly: {} }, actions: [{ shadow: { desired: { fan: 'on' } } }] }),
  createdAt: 0,
  updatedAt: 0,
  lastDelivery: null,
});
const analyser = (id: string, name: string) => ({
  id,
  workspaceId: WS,
  definition: AnalyserRequest.parse({ name, kind: 'face-detection', endpoint: 'https://vendor.example/detect', secretName: 'key', imageField: 'img' }),
  createdAt: 0,
  updatedAt: 0,
  lastRun: null,
});

/** A fault of the store: neither the caller's 400 (a ZodError) nor any other answer of the closed code set. */
const expectStoreFault = async (read: Promise<unknown>) => {
  const error = await read.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(ZodError);
  expect(error).not.toBeInstanceOf(AppError);
};

// The repositories on a real SQLite file, with rows an older or newer version might have left.
describe('the alert and analyser repositories', () => {
  const logged: string[] = [];
  let dir: string;
  let db: SqliteDatabase;
  let rules: SqliteAlertRuleRepository;
  let analysers: SqliteAnalyserRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-alert-store-'));
    db = openDatabase(join(dir, 'alerts.db'), { module: 'alerts', migrations: ALERT_MIGRATIONS });
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } });
    rules = new SqliteAlertRuleRepository(db, logger);
    analysers = new SqliteAnalyserRepository(db, logger);
    logged.length = 0;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leave a stored rule that no longer parses out of the enabled ones (logged), and read it as a fault, not a 400', async () => {
    await rules.insert(rule('alr_000000000000000000000001', 'good'));
    await rules.insert(rule('alr_000000000000000000000002', 'bad'));
    db.prepare(`UPDATE alert_rules SET definition = json_set(definition, '$.trigger', json('{"sometime":{}}')) WHERE rule_id = ?`).run('alr_000000000000000000000002');
    expect((await rules.listEnabled(WS)).map((stored) => stored.id)).toEqual(['alr_000000000000000000000001']);
    expect(logged.filter((line) => line.includes('stored alert rule skipped') && line.includes('alr_000000000000000000000002'))).toHaveLength(1);
    await expectStoreFault(rules.find(WS, 'alr_000000000000000000000002'));
    await expectStoreFault(rules.list(WS));
  });

  it('read a rule stored with no cool-down, from before the one-second minimum, as one second', async () => {
    await rules.insert(rule('alr_000000000000000000000001', 'old'));
    db.prepare(`UPDATE alert_rules SET definition = json_set(definition, '$.cooldownSeconds', 0)`).run();
    expect((await rules.find(WS, 'alr_000000000000000000000001'))?.definition.cooldownSeconds).toBe(1);
  });

  it('leave a stored analyser that no longer parses out of the enabled ones (logged), and read it as a fault, not a 400', async () => {
    await analysers.insert(analyser('ana_000000000000000000000001', 'good'));
    await analysers.insert(analyser('ana_000000000000000000000002', 'bad'));
    db.prepare(`UPDATE analysers SET definition = json_set(definition, '$.kind', 'mind-reading') WHERE analyser_id = ?`).run('ana_000000000000000000000002');
    expect((await analysers.listEnabled(WS)).map((stored) => stored.id)).toEqual(['ana_000000000000000000000001']);
    expect(logged.filter((line) => line.includes('stored analyser skipped') && line.includes('ana_000000000000000000000002'))).toHaveLength(1);
    await expectStoreFault(analysers.find(WS, 'ana_000000000000000000000002'));
  });

  it('keep the enabled rules of a workspace between batches, until one is inserted, replaced or deleted', async () => {
    await rules.insert(rule('alr_000000000000000000000001', 'one'));
    const first = await rules.listEnabled(WS);
    expect(await rules.listEnabled(WS)).toBe(first);
    await rules.insert(rule('alr_000000000000000000000002', 'two'));
    expect(await rules.listEnabled(WS)).toHaveLength(2);
    const { createdAt: _created, lastDelivery: _last, ...replaced } = rule('alr_000000000000000000000002', 'two');
    await rules.replace({ ...replaced, definition: { ...replaced.definition, enabled: false } });
    expect(await rules.listEnabled(WS)).toHaveLength(1);
    await rules.delete(WS, 'alr_000000000000000000000001');
    expect(await rules.listEnabled(WS)).toEqual([]);
    expect(await rules.listEnabled('ws_other')).toEqual([]);
  });

  it('keep the enabled analysers of a workspace between batches, until one is inserted, replaced or deleted', async () => {
    await analysers.insert(analyser('ana_000000000000000000000001', 'one'));
    const first = await analysers.listEnabled(WS);
    expect(await analysers.listEnabled(WS)).toBe(first);
    await analysers.insert(analyser('ana_000000000000000000000002', 'two'));
    expect(await analysers.listEnabled(WS)).toHaveLength(2);
    const { createdAt: _created, lastRun: _last, ...replaced } = analyser('ana_000000000000000000000002', 'two');
    await analysers.replace({ ...replaced, definition: { ...replaced.definition, enabled: false } });
    expect(await analysers.listEnabled(WS)).toHaveLength(1);
    await analysers.delete(WS, 'ana_000000000000000000000001');
    expect(await analysers.listEnabled(WS)).toEqual([]);
  });
});
