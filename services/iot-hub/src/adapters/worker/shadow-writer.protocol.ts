import type { ShadowWrite } from '../../domain/shadow/shadow.model.js';

/** What the hub asks of the shadow writer's thread; a write answers 0, a thing's removal how many rows went. */
export type ShadowWriterRequest = { op: 'write'; writes: ShadowWrite[] } | { op: 'deleteThing'; workspaceId: string; thingName: string };
