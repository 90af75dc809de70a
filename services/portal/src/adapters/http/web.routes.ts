import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { JSONWebKeySet } from 'jose';

const PUBLIC_DIR = fileURLToPath(new URL('../../../public', import.meta.url));

/** The web UI's static files at `/`, and the embedded provider's JWKS. */
export function webRoutes(jwks: JSONWebKeySet | undefined): Router {
  const router = Router();
  if (jwks) router.get('/.well-known/jwks.json', (_req, res) => void res.json(jwks));
  router.use((_req, res, next) => {
    res.set('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    res.set('x-content-type-options', 'nosniff');
    next();
  });
  router.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));
  return router;
}
