/** A task refused because its owner already has as many tasks waiting or running as the queue allows. */
export class QueueFullError extends Error {}

export interface FairQueue {
  /** Runs `task` in `owner`'s turn; QueueFullError at once when the owner already has `maxPerOwner` tasks waiting or running. */
  run<T>(owner: string, task: () => Promise<T>): Promise<T>;
  /** Tasks running and waiting now, all owners together. */
  counts(): { running: number; waiting: number };
}

interface Owner {
  /** Tasks waiting or running. */
  held: number;
  /** The waiting tasks' starts, oldest first. */
  waiting: (() => void)[];
  /** When the owner last had a task started (a turn number); -1: not since it had none. */
  servedAt: number;
}

/**
 * At most `concurrency` tasks run at once. A free slot goes to the owner served least recently among those with
 * a task waiting (round-robin): an owner with many waiting delays another's next task by one of its own per free
 * slot at most, however many it queued. A finishing task hands its slot straight over, so a newcomer cannot slip in.
 */
export function fairQueue({ concurrency, maxPerOwner }: { concurrency: number; maxPerOwner: number }): FairQueue {
  let running = 0;
  let turn = 0;
  const owners = new Map<string, Owner>();

  const handOver = () => {
    let next: Owner | undefined;
    for (const owner of owners.values()) if (owner.waiting.length > 0 && (!next || owner.servedAt < next.servedAt)) next = owner;
    if (!next) {
      running--;
      return;
    }
    next.servedAt = turn++;
    next.waiting.shift()!();
  };

  return {
    async run(name, task) {
      const owner = owners.get(name) ?? { held: 0, waiting: [], servedAt: -1 };
      if (owner.held >= maxPerOwner) throw new QueueFullError(`at most ${maxPerOwner} may wait or run at once`);
      owner.held++;
      owners.set(name, owner);
      try {
        if (running < concurrency) {
          running++;
          owner.servedAt = turn++;
        } else await new Promise<void>((start) => owner.waiting.push(start));
        try {
          return await task();
        } finally {
          handOver();
        }
      } finally {
        if (--owner.held === 0) owners.delete(name);
      }
    },
    counts() {
      let waiting = 0;
      for (const owner of owners.values()) waiting += owner.waiting.length;
      return { running, waiting };
    },
  };
}
