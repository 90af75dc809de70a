import type { DesiredStateWriter, ShadowTarget } from '../../domain/alert-delivery.port.js';

/**
 * What the hub's ShadowService offers, as far as alerts need it: an update from a body, answered
 * as a value (AWS's shadow error shape when refused). Declared here so analytics does not depend
 * on the hub's package.
 */
export interface ShadowUpdater {
  update(
    target: ShadowTarget,
    input: { body: unknown },
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: { code: number; message: string } }>;
}

/** Desired state through the hub's shadow service: versioned, stored, and published to the device like any update. */
export function hubDesiredStateWriter(shadows: ShadowUpdater): DesiredStateWriter {
  return {
    async setDesired(target, desired) {
      const outcome = await shadows.update(target, { body: { state: { desired } } });
      return outcome.ok ? { ok: true } : { ok: false, error: `shadow update refused (${outcome.error.code}): ${outcome.error.message}` };
    },
  };
}
