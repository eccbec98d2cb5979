import { expect } from 'chai';
import fs from 'node:fs';
import { Debouncer, realTimers, type Timers } from '../src/debounce.js';

/** Timers driven by hand, so the test never sleeps. */
class ManualTimers implements Timers {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now() {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(id: unknown) {
    this.timers.delete(id as number);
  }
  advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

describe('debounce', () => {
  it('a burst of changes becomes one rebuild, holdoff after the last change', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const d = new Debouncer(() => runs++, 50, 500, timers);
    d.trigger();
    timers.advance(30);
    d.trigger();
    timers.advance(30);
    expect(runs).to.equal(0);
    timers.advance(20);
    expect(runs).to.equal(1);
  });

  it('a steady stream of changes still rebuilds within the maximum delay', () => {
    const timers = new ManualTimers();
    const at: number[] = [];
    const d = new Debouncer(() => at.push(timers.now()), 50, 500, timers);
    for (let t = 0; t < 1200; t += 20) {
      d.trigger();
      timers.advance(20);
    }
    expect(at[0]).to.equal(500);
    expect(at[1]).to.equal(1000);
  });

  it('flush runs a pending rebuild now; cancel drops it', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const d = new Debouncer(() => runs++, 50, 500, timers);
    d.trigger();
    d.flush();
    expect(runs).to.equal(1);
    d.trigger();
    d.cancel();
    timers.advance(1000);
    expect(runs).to.equal(1);
    expect(d.pending).to.equal(false);
  });

  it('leading: a change after a quiet holdoff is built on the next turn; what follows within the holdoff is coalesced', () => {
    const timers = new ManualTimers();
    const at: number[] = [];
    const d = new Debouncer(() => at.push(timers.now()), 50, 500, timers, true);
    d.trigger();
    d.trigger(); // same turn: the same rebuild
    timers.advance(0);
    expect(at).to.deep.equal([0]);
    timers.advance(10);
    d.trigger(); // within the holdoff of the last rebuild: trailing
    timers.advance(20);
    d.trigger();
    timers.advance(49);
    expect(at).to.deep.equal([0]);
    timers.advance(1);
    expect(at).to.deep.equal([0, 80]);
    timers.advance(100);
    d.trigger(); // quiet again: at once
    timers.advance(0);
    expect(at).to.deep.equal([0, 80, 180]);
  });

  it('the leading edge runs as soon as the events at hand are handled, before a timer of 0 set with it', async () => {
    const order: string[] = [];
    const debouncer = new Debouncer(() => order.push('build'), 50, 500, realTimers, true);
    // In an I/O callback (as a file event or a watch event arrives), an immediate runs before any timer.
    await new Promise<void>((resolve) =>
      fs.stat('.', () => {
        setTimeout(() => {
          order.push('timer');
          resolve();
        }, 0);
        debouncer.trigger();
        debouncer.trigger(); // the same turn: still one build
      }),
    );
    expect(order).to.deep.equal(['build', 'timer']);
  });

  it('a leading build cancelled before it runs does not run', async () => {
    let builds = 0;
    const debouncer = new Debouncer(() => builds++, 50, 500, realTimers, true);
    debouncer.trigger();
    debouncer.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(builds).to.equal(0);
  });
});
