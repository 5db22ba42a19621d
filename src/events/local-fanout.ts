import { SlidingQueue } from "./sliding-queue";
import { type Listener, SUBSCRIBER_BUFFER, type TopicWatcher } from "./event-bus";
import { eventKeys, type Topic, type Topics } from "./topics";

const slot = (topic: Topic, key: string) => `${topic}\u0000${key}`;

/**
 * Subscribers indexed by what they watch: delivering an event touches only the listeners of its keys
 * (a map lookup each) plus the topic's whole-topic queues, never every subscriber.
 */
export class LocalFanout {
  private readonly keyed = new Map<string, Set<Listener<Topic>>>();
  private readonly whole = new Map<Topic, Set<SlidingQueue<unknown>>>();
  private readonly watchers = new Map<Topic, Set<TopicWatcher<Topic>>>();

  /** Whole-topic first: a watcher's cache is in step with the event before any keyed listener acts on it. */
  deliver<T extends Topic>(topic: T, payload: Topics[T], keys: readonly string[] = eventKeys(topic, payload)): void {
    this.deliverWhole(topic, payload);
    for (const key of keys) this.deliverKeyed(topic, key, payload);
  }

  deliverKeyed<T extends Topic>(topic: T, key: string, payload: Topics[T]): void {
    const listeners = this.keyed.get(slot(topic, key));
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        (listener as Listener<T>)(payload);
      } catch (error) {
        console.error(`a ${topic} listener failed`, error);
      }
    }
  }

  deliverWhole<T extends Topic>(topic: T, payload: Topics[T]): void {
    for (const watcher of this.watchers.get(topic) ?? []) {
      try {
        (watcher as TopicWatcher<T>).event(payload);
      } catch (error) {
        console.error(`a ${topic} watcher failed`, error);
      }
    }
    for (const queue of this.whole.get(topic) ?? []) queue.push(payload);
  }

  watch<T extends Topic>(topic: T, watcher: TopicWatcher<T>): () => void {
    const set = this.watchers.get(topic) ?? this.watchers.set(topic, new Set()).get(topic)!;
    set.add(watcher as TopicWatcher<Topic>);
    return () => void set.delete(watcher as TopicWatcher<Topic>);
  }

  /** The link events arrive through dropped (`true`) or is back (`false`): every watcher is told. */
  gap(open: boolean): void {
    for (const set of this.watchers.values()) {
      for (const watcher of set) {
        try {
          watcher.gap(open);
        } catch (error) {
          console.error("a watcher failed on a gap", error);
        }
      }
    }
  }

  watchedTopics(): Topic[] {
    return [...this.watchers].filter(([, set]) => set.size > 0).map(([topic]) => topic);
  }

  /** Returns whether this is the key's first listener (Redis subscribes its channel then). */
  listen<T extends Topic>(topic: T, key: string, listener: Listener<T>): { first: boolean; stop: () => boolean } {
    const id = slot(topic, key);
    let listeners = this.keyed.get(id);
    const first = !listeners;
    if (!listeners) this.keyed.set(id, (listeners = new Set()));
    const entry = listener as Listener<Topic>;
    listeners.add(entry);
    let stopped = false;
    return {
      first,
      /** Returns whether that was the key's last listener. */
      stop: () => {
        if (stopped) return false;
        stopped = true;
        listeners.delete(entry);
        if (listeners.size > 0 || this.keyed.get(id) !== listeners) return false;
        this.keyed.delete(id);
        return true;
      },
    };
  }

  hasListeners(topic: Topic, key: string): boolean {
    return this.keyed.has(slot(topic, key));
  }

  add<T extends Topic>(topic: T): SlidingQueue<Topics[T]> {
    const set = this.whole.get(topic) ?? new Set();
    this.whole.set(topic, set);
    const queue: SlidingQueue<Topics[T]> = new SlidingQueue<Topics[T]>(SUBSCRIBER_BUFFER, () => set.delete(queue as SlidingQueue<unknown>));
    set.add(queue as SlidingQueue<unknown>);
    return queue;
  }

  closeAll(): void {
    for (const set of this.whole.values()) for (const queue of [...set]) queue.close();
    this.keyed.clear();
    this.watchers.clear();
  }

  count(): number {
    let total = 0;
    for (const set of this.whole.values()) total += set.size;
    for (const set of this.keyed.values()) total += set.size;
    return total;
  }
}
