import type { EventBus, Listener, TopicWatcher } from "./event-bus";
import { LocalFanout } from "./local-fanout";
import type { Topic, Topics } from "./topics";

export class InMemoryEventBus implements EventBus {
  private readonly fanout = new LocalFanout();

  async publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void> {
    this.fanout.deliver(topic, payload);
  }

  async subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>> {
    return this.fanout.add(topic);
  }

  async listen<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<() => void> {
    const { stop } = this.fanout.listen(topic, key, listener);
    return () => void stop();
  }

  /** In one process nothing is ever missed: no gap. */
  async watch<T extends Topic>(topic: T, watcher: TopicWatcher<T>): Promise<() => void> {
    return this.fanout.watch(topic, watcher);
  }

  async close(): Promise<void> {
    this.fanout.closeAll();
  }
}
