import type { Topic, Topics } from "./topics";

export interface EventBus {
  publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void>;
  /** Starts receiving before it returns: nothing published after the call resolves is missed. */
  subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>>;
  close(): Promise<void>;
}

export const SUBSCRIBER_BUFFER = 256;
