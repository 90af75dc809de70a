// The image's HEALTHCHECK: the runtime image has Node.js but no curl. Healthy when GET /healthz
// answers 200, which the platform does only once every part is ready.
/* global fetch, AbortSignal -- Node.js globals; the lint config declares no Node.js environment */
import process from 'node:process';

const port = process.env.PORT ?? '8080';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
