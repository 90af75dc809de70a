import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { SERVICE_TOKEN_HEADER } from '@citus/contracts';
import { forbidden } from './errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Only callers holding the platform's service token pass (the internal API). Both sides are hashed
 * first, so the comparison takes the same time whatever the length of what was sent. A refusal is
 * 403, never 401: the internal API's 401 means "the caller's credential is bad", which the asking
 * service passes on to its own caller.
 */
export function requireServiceToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const sent = req.headers[SERVICE_TOKEN_HEADER];
    if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), expected)) {
      throw forbidden(`the internal API needs the platform's service token in ${SERVICE_TOKEN_HEADER}`);
    }
    next();
  };
}
