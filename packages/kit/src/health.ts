import type { Health } from '@citus/contracts';

/** Readiness of the parts of a process; `/healthz` answers 200 only once every part is ready. */
export class HealthRegistry {
  private readonly parts = new Map<string, boolean>();
  private stopping = false;

  register(part: string): (ready: boolean) => void {
    this.parts.set(part, false);
    return (ready) => this.parts.set(part, ready);
  }

  markStopping(): void {
    this.stopping = true;
  }

  report(): { healthy: boolean; body: Health } {
    const parts = Object.fromEntries(this.parts);
    const allReady = [...this.parts.values()].every(Boolean);
    const status = this.stopping ? 'stopping' : allReady ? 'ok' : 'starting';
    return { healthy: status === 'ok', body: { status, parts } };
  }
}
