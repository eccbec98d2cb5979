// Responses as a test ADS client receives them, taken in order or by type, waiting for each with a
// bounded wait. Shared by the SotW and Delta clients.

export class ResponseQueue<T extends { type_url: string }> {
  private readonly queue: T[] = [];
  private waiter: (() => void) | undefined;
  ended = false;

  push(response: T): void {
    this.queue.push(response);
    this.waiter?.();
  }

  end(): void {
    this.ended = true;
    this.waiter?.();
  }

  /** Responses received and not taken. */
  pending(): T[] {
    return [...this.queue];
  }

  /** The next response, optionally of one type (others stay queued); fails after `timeoutMs`. */
  async next(typeUrl?: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((r) => !typeUrl || r.type_url === typeUrl);
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.ended)
        throw new Error(`no ${typeUrl ?? 'response'} within ${timeoutMs} ms (queued: ${this.queue.map((r) => r.type_url).join(', ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }
}
