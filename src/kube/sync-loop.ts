// The loop both status writers run: a change asks for a run soon (100 ms, so a burst is one run), a
// resync asks again every so often, one run at a time, and a change during a run runs it once more.

export abstract class SyncLoop {
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly resyncMs = 30_000) {}

  /** One pass: brings everything in line. */
  protected abstract run(): Promise<void>;

  start(): void {
    this.resync = setInterval(() => this.changed(), this.resyncMs);
    this.resync.unref();
    this.changed();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
  }

  /** Something changed (objects, leadership): check the statuses soon. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, 100);
    this.timer.unref();
  }

  /** Runs now; one run at a time, and a change meanwhile runs it again. */
  async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    });
    return this.running;
  }
}
