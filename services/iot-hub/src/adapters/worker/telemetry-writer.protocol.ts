import type { DeadLetter, StorableEntry } from '../../domain/telemetry.model.js';

/**
 * A batch as it crosses to the writer's thread: records as columns (arrays of strings and numbers
 * copy across threads several times faster than as many small objects) and the rare dead letters
 * with their places in the batch.
 */
export interface WireBatch {
  topic: string[];
  thingName: string[];
  workspaceId: string[];
  payload: string[];
  receivedAt: number[];
  /** NaN where the device gave no timestamp. */
  deviceEpoch: number[];
  deadLetters: Array<{ at: number; deadLetter: DeadLetter }>;
}

export function toWire(entries: ReadonlyArray<StorableEntry>): WireBatch {
  const batch: WireBatch = { topic: [], thingName: [], workspaceId: [], payload: [], receivedAt: [], deviceEpoch: [], deadLetters: [] };
  entries.forEach((entry, at) => {
    if ('deadLetter' in entry) {
      batch.deadLetters.push({ at, deadLetter: entry.deadLetter });
      return;
    }
    const { record } = entry;
    batch.topic.push(record.topic);
    batch.thingName.push(record.thingName);
    batch.workspaceId.push(record.workspaceId);
    batch.payload.push(record.payload);
    batch.receivedAt.push(record.receivedAt);
    batch.deviceEpoch.push(record.deviceEpoch ?? Number.NaN);
  });
  return batch;
}

export function fromWire(batch: WireBatch): StorableEntry[] {
  const entries: StorableEntry[] = [];
  let next = 0;
  const take = (): StorableEntry => {
    const i = next++;
    const deviceEpoch = batch.deviceEpoch[i] as number;
    return {
      record: {
        topic: batch.topic[i] as string,
        thingName: batch.thingName[i] as string,
        workspaceId: batch.workspaceId[i] as string,
        payload: batch.payload[i] as string,
        receivedAt: batch.receivedAt[i] as number,
        deviceEpoch: Number.isNaN(deviceEpoch) ? undefined : deviceEpoch,
      },
    };
  };
  for (const { at, deadLetter } of batch.deadLetters) {
    while (entries.length < at) entries.push(take());
    entries.push({ deadLetter });
  }
  while (next < batch.topic.length) entries.push(take());
  return entries;
}
