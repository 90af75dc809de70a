/**
 * Synchronous clean-ups that run however this process leaves: normal end, error, SIGINT or
 * SIGTERM. They must be synchronous because the `exit` event runs no more turns of the loop.
 * They run in the order registered: children are killed (registered on import) before their
 * directories are removed.
 */
const cleanups = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const cleanup of cleanups) cleanup();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping, with the child processes started here\n`);
      process.exit(130);
    });
  }
}

/** Registers `cleanup` to run at exit; the answer unregisters it, for when the work was undone in order. */
export function onExit(cleanup: () => void): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
