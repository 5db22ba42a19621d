import { SlidingQueue } from "./sliding-queue";
import { SUBSCRIBER_BUFFER } from "./event-bus";
import type { Topic, Topics } from "./topics";

/** Delivers each message to every local subscriber of its topic, each with its own bounded queue. */
export class LocalFanout {
  private readonly subscribers = new Map<Topic, Set<SlidingQueue<unknown>>>();

  deliver<T extends Topic>(topic: T, payload: Topics[T]): void {
    for (const queue of this.subscribers.get(topic) ?? []) queue.push(payload);
  }

  add<T extends Topic>(topic: T): SlidingQueue<Topics[T]> {
    const set = this.subscribers.get(topic) ?? new Set();
    this.subscribers.set(topic, set);
    const queue: SlidingQueue<Topics[T]> = new SlidingQueue<Topics[T]>(SUBSCRIBER_BUFFER, () =>
      set.delete(queue as SlidingQueue<unknown>),
    );
    set.add(queue as SlidingQueue<unknown>);
    return queue;
  }

  closeAll(): void {
    for (const set of this.subscribers.values()) for (const queue of [...set]) queue.close();
  }

  count(): number {
    let total = 0;
    for (const set of this.subscribers.values()) total += set.size;
    return total;
  }
}
