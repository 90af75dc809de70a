import { randomBytes } from 'node:crypto';

/** A prefixed random id (`dev_6f1c...`): 96 random bits, unguessable, readable in logs. */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;
