/**
 * Jobs that must not overlap (start, stop, restart of the server) run one after another.
 *
 * A job asked for again while an earlier request of the same kind is still waiting its
 * turn is not queued twice: both callers get the waiting one (ten quick settings changes
 * make one restart, not ten).
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly waiting = new Map<string, Promise<unknown>>();

  run<T>(kind: string, job: () => Promise<T>): Promise<T> {
    const queued = this.waiting.get(kind);
    if (queued !== undefined) {
      return queued as Promise<T>;
    }
    const start = (): Promise<T> => {
      this.waiting.delete(kind);
      return job();
    };
    const result = this.tail.then(start, start);
    this.waiting.set(kind, result);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
