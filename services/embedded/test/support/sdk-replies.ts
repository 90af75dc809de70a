/** A reply as a test sees it: the SDK's parsed response, or `{sdkError}` when it reported an error. */
export type Reply = Record<string, unknown>;

const WAIT_MS = 5_000;

async function waitFor(find: () => Reply | undefined, what: string): Promise<Reply> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What the SDK's service clients (`iotshadow`, `iotjobs`, `iotidentity`) hand to each
 * subscription, kept by name, and ways to wait for one.
 */
export class SdkReplies {
  private readonly received = new Map<string, Reply[]>();

  /** The callback to give the SDK's `subscribeTo...` for replies named `name`. */
  handler(name: string) {
    return (error?: { message: string }, response?: object): void => {
      const list = this.received.get(name) ?? [];
      list.push(error ? { sdkError: error.message } : ((response ?? {}) as Reply));
      this.received.set(name, list);
    };
  }

  count(name: string): number {
    return this.received.get(name)?.length ?? 0;
  }

  /** The first reply on `name` with this clientToken, or the first after `after` replies when none is given. */
  next(name: string, clientToken?: string, after = 0): Promise<Reply> {
    return waitFor(() => {
      const list = (this.received.get(name) ?? []).slice(after);
      return clientToken === undefined ? list[0] : list.find((reply) => reply.clientToken === clientToken);
    }, `${name} reply${clientToken ? ` for ${clientToken}` : ''}`);
  }

  /** The reply number `index` on `name` (0-based). */
  nth(name: string, index: number): Promise<Reply> {
    return waitFor(() => this.received.get(name)?.[index], `${name} reply #${index}`);
  }
}
