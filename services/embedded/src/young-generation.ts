import { setFlagsFromString } from 'node:v8';

/**
 * `--max-semi-space-size=64`, given where the platform is launched, is meant for the hub's event
 * loop. V8 applies its flags to every isolate made afterwards as well, so each worker thread (the
 * telemetry and shadow writers, the indexer, detection) would also let its young generation grow
 * to three 64 MiB semi-spaces, several hundred MiB more in all under load. 0 is the flag's "unset":
 * isolates made after this call size their semi-spaces by V8's own rule again, while the main
 * isolate, sized at start, keeps the launch value.
 */
export function defaultYoungGenerationForWorkers(): void {
  setFlagsFromString('--max-semi-space-size=0');
}

// `main.ts` imports this module first, so this runs before any other module's code, and so before
// any worker thread can start.
defaultYoungGenerationForWorkers();
