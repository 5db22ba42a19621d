import type { Topic, Topics } from "./topics";

export type Listener<T extends Topic> = (payload: Topics[T]) => void;

export interface TopicWatcher<T extends Topic> {
  event: Listener<T>;
  /** `true`: from now on events may be missed; `false`: they are received again, from now on. */
  gap(open: boolean): void;
}

export interface EventBus {
  publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void>;
  /** Every event of the topic (the media plane follows all recordings). Starts receiving before it returns. */
  subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>>;
  /**
   * Only the events with this key (see `eventKeys`), delivered synchronously to the listener. Starts
   * receiving before it returns; the returned function stops.
   */
  listen<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<() => void>;
  /**
   * Every event of the topic, delivered synchronously, for state kept in step with it (a cache). `gap` says
   * when events may be missed (the link to the other instances dropped) and when they flow again. Starts
   * receiving before it returns; the returned function stops.
   */
  watch<T extends Topic>(topic: T, watcher: TopicWatcher<T>): Promise<() => void>;
  close(): Promise<void>;
}

export const SUBSCRIBER_BUFFER = 256;
