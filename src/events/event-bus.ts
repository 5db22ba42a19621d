import type { Topic, Topics } from "./topics";

export type Listener<T extends Topic> = (payload: Topics[T]) => void;

export interface EventBus {
  publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void>;
  /** Every event of the topic (the media plane follows all recordings). Starts receiving before it returns. */
  subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>>;
  /**
   * Only the events with this key (see `eventKeys`), delivered synchronously to the listener. Starts
   * receiving before it returns; the returned function stops.
   */
  listen<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<() => void>;
  close(): Promise<void>;
}

export const SUBSCRIBER_BUFFER = 256;
