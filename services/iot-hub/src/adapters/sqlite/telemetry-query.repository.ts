import type { SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type {
  AggregateBucket,
  AggregateWindow,
  LatestMessage,
  TelemetryQueries,
} from '../../domain/telemetry-buckets.rules.js';

/**
 * Only numbers count: `json_type` tells a JSON `true` (which `json_extract` would give as 1) and
 * numeric strings apart from real numbers. The points are materialised once and read twice: for
 * the statistics, and for `last`, which takes `v` from the row of `max(epoch)` (SQLite's documented
 * bare-column rule for a query with a single max()). On a tie between streams at the same
 * millisecond, one of the tied values is `last`.
 */
const aggregateSql = (where: string): string => `
  WITH points AS MATERIALIZED (
    SELECT epoch - epoch % @bucket AS slot, epoch, json_extract(payload, @path) AS v
    FROM telemetry
    WHERE ${where} AND epoch >= @from AND epoch <= @to AND json_type(payload, @path) IN ('integer', 'real')
  ),
  lasts AS (SELECT slot, max(epoch) AS epoch, v FROM points GROUP BY slot)
  SELECT p.slot AS bucketStart, min(p.v) AS min, max(p.v) AS max, avg(p.v) AS avg, count(*) AS count, l.v AS last
  FROM points p JOIN lasts l ON l.slot = p.slot
  GROUP BY p.slot ORDER BY p.slot`;

/** The SQL/JSON path of a dotted field, each name quoted so `-`, `@`, `:` or `$` in it stay literal. */
export function jsonPathOf(field: string): string {
  return `$${field
    .split('.')
    .map((name) => `."${name}"`)
    .join('')}`;
}

/**
 * Reads over the telemetry table for aggregates and latest values, on the telemetry repository's
 * database handle. Every statement walks an existing index: the primary key (topic, epoch) for one
 * stream and for latest values, `telemetry_by_thing` (workspace_id, thing_name, epoch, topic) for
 * a whole thing's range and for the list of things. The port is asynchronous for the scale-out
 * store; here each answer is computed synchronously, on the calling thread.
 */
export class SqliteTelemetryQueryRepository implements TelemetryQueries {
  private readonly sql: Record<'aggregateThing' | 'aggregateTopic' | 'nextTopic' | 'latestOfTopic' | 'nextThing', SqliteStatement>;

  constructor(db: SqliteDatabase) {
    this.sql = {
      aggregateThing: db.prepare(aggregateSql('workspace_id = @workspaceId AND thing_name = @thingName')),
      // No thing_name condition: with only topic and epoch constrained, the primary key is the one index that fits.
      aggregateTopic: db.prepare(aggregateSql('topic = @topic AND workspace_id = @workspaceId')),
      // One seek per topic: the primary key skips from a thing's stream to its next.
      nextTopic: db.prepare('SELECT topic FROM telemetry WHERE topic > ? AND topic < ? ORDER BY topic LIMIT 1').pluck(),
      latestOfTopic: db.prepare('SELECT epoch, payload FROM telemetry WHERE topic = ? AND workspace_id = ? ORDER BY epoch DESC LIMIT 1'),
      // One seek per thing, through telemetry_by_thing, however many messages each has.
      nextThing: db
        .prepare('SELECT thing_name FROM telemetry WHERE workspace_id = ? AND thing_name > ? ORDER BY thing_name LIMIT 1')
        .pluck(),
    };
  }

  async aggregate(scope: { workspaceId: string; thingName: string; topic?: string }, field: string, window: AggregateWindow): Promise<AggregateBucket[]> {
    const statement = scope.topic === undefined ? this.sql.aggregateThing : this.sql.aggregateTopic;
    return statement.all({
      ...scope,
      topic: scope.topic ?? null,
      path: jsonPathOf(field),
      from: window.from,
      to: window.to,
      bucket: window.bucket,
    }) as AggregateBucket[];
  }

  async latest(workspaceId: string, thingNames: readonly string[]): Promise<LatestMessage[]> {
    return thingNames.flatMap((thingName) =>
      this.topicsOf(thingName).flatMap((topic) => {
        const row = this.sql.latestOfTopic.get(topic, workspaceId) as { epoch: number; payload: string } | undefined;
        return row ? [{ thingName, topic, epoch: row.epoch, payload: JSON.parse(row.payload) as Record<string, unknown> }] : [];
      }),
    );
  }

  async thingsWithTelemetry(workspaceId: string, limit: number, after = ''): Promise<string[]> {
    const names: string[] = [];
    for (let last = after; names.length < limit; ) {
      const next = this.sql.nextThing.get(workspaceId, last) as string | undefined;
      if (next === undefined) break;
      names.push((last = next));
    }
    return names;
  }

  /**
   * `telemetry/{thing}` and every `telemetry/{thing}/{stream}`. Streams sort between
   * `telemetry/{thing}/` and `telemetry/{thing}0` ('0' follows '/'), which no other thing's topic
   * does: `telemetry/{thing}-2` sorts before the first and `telemetry/{thing}2...` after the last.
   */
  private topicsOf(thingName: string): string[] {
    const base = `telemetry/${thingName}`;
    const topics = [base];
    const end = `${base}0`;
    for (let last = `${base}/`; ; ) {
      const next = this.sql.nextTopic.get(last, end) as string | undefined;
      if (next === undefined) return topics;
      topics.push((last = next));
    }
  }
}
