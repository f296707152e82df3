import { fairQueue, QueueFullError } from './fair-queue';

/** A task that runs until `finish` is called, noting when it starts. */
function gate(started: string[], label: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { task: () => (started.push(label), done), finish: () => finish() };
}

describe('fairQueue', () => {
  it('runs at most `concurrency` tasks at once, and serves waiting owners in turns, least recently served first', async () => {
    const queue = fairQueue({ concurrency: 1, maxPerOwner: 10 });
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const runs = ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1'].map((label) => {
      gates.set(label, gate(started, label));
      return queue.run(label[0], gates.get(label)!.task);
    });
    expect(started).toEqual(['a1']);
    expect(queue.counts()).toEqual({ running: 1, waiting: 6 });
    for (let i = 0; i < runs.length; i++) {
      gates.get(started[i])!.finish();
      await new Promise(setImmediate);
    }
    await Promise.all(runs);
    // a flooded first, yet b and c each waited for one of a's at most.
    expect(started).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(queue.counts()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses an owner’s task beyond maxPerOwner waiting or running, at once; other owners and later tasks go on', async () => {
    const queue = fairQueue({ concurrency: 1, maxPerOwner: 2 });
    const started: string[] = [];
    const [a1, a2, a3, b1] = [gate(started, 'a1'), gate(started, 'a2'), gate(started, 'a3'), gate(started, 'b1')];
    const runs = [queue.run('a', a1.task), queue.run('a', a2.task)];
    await expect(queue.run('a', () => Promise.resolve())).rejects.toThrow(QueueFullError);
    runs.push(queue.run('b', b1.task));
    a1.finish();
    await runs[0];
    // a holds one task now (a2, waiting): it may queue another.
    runs.push(queue.run('a', a3.task));
    for (const next of [b1, a2, a3]) {
      next.finish();
      await new Promise(setImmediate);
    }
    await Promise.all(runs);
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('frees the slot of a task that fails', async () => {
    const queue = fairQueue({ concurrency: 1, maxPerOwner: 5 });
    await expect(queue.run('a', () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    await expect(queue.run('a', () => Promise.resolve(1))).resolves.toBe(1);
    expect(queue.counts()).toEqual({ running: 0, waiting: 0 });
  });
});
