import { randomBytes } from 'node:crypto';

/** A thing name from the device's name, made unique with 32 random bits: `kitchen-sensor-3fa9c2d1`. */
export function newThingName(name: string): string {
  const base = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${base || 'device'}-${randomBytes(4).toString('hex')}`;
}
