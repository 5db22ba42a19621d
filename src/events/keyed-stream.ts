import { endOnRoleChange } from "./end-on-role-change";
import { SUBSCRIBER_BUFFER, type EventBus } from "./event-bus";
import { Sequenced, SequenceOrderer } from "./sequence-orderer";
import { SlidingQueue } from "./sliding-queue";
import type { Topic, Topics } from "./topics";

export interface KeyedStreamOptions<T extends Topic, M> {
  bus: EventBus;
  topic: T;
  /** The one key this stream listens on (`agent:…`, `recording:…`, `customer:…`). */
  key: string;
  /** Further narrowing within the key (e.g. an agent's own calls on a customer's timeline). */
  accepts?: (event: Topics[T]) => boolean;
  /**
   * The message for an event. Streams of the same service return the same object for the same event, so a
   * transport can execute and serialize it once for every subscriber that shares the operation.
   */
  toMessage: (event: Topics[T]) => M | Promise<M>;
  /** Recording events: handed on per recording in sequence order, gaps waited on for this long. */
  ordered?: { gapWaitMs: number };
  /** A role change of this user ends the stream. */
  userId: string;
}

type Item<M> = M | Promise<M>;

/**
 * One subscriber's stream: a first message (the snapshot), then the messages of the events on its key.
 * It starts listening before the first message is read, so nothing committed in between is lost.
 * Consumed either as an async iterator, or (the WebSocket transport) through `consume`, which hands on
 * each message as it comes without a queue per subscriber.
 */
export class KeyedStream<T extends Topic, M> implements AsyncIterableIterator<M> {
  private readonly buffered: Item<M>[] = [];
  private sink: ((item: Item<M>) => void) | undefined;
  private queue: SlidingQueue<Item<M>> | undefined;
  private orderer: SequenceOrderer<Topics[T] & Sequenced> | undefined;
  private stops: (() => void)[] = [];
  private endListeners: (() => void)[] = [];
  private ended = false;

  private constructor(private readonly options: KeyedStreamOptions<T, M>) {}

  /** Starts listening, then reads the first message; events at or below `seed` are the snapshot's already. */
  static async open<T extends Topic, M>(
    options: KeyedStreamOptions<T, M>,
    readFirst: () => Promise<{ first: M; seed?: Sequenced }>,
  ): Promise<KeyedStream<T, M>> {
    const stream = new KeyedStream(options);
    const ordering = options.ordered;
    if (ordering) stream.orderer = new SequenceOrderer<Topics[T] & Sequenced>(ordering.gapWaitMs, (event) => stream.emit(event));
    const hold: Topics[T][] = [];
    let ready = false;
    stream.stops.push(
      await options.bus.listen(options.topic, options.key, (event) => {
        if (options.accepts && !options.accepts(event)) return;
        if (ready) stream.accept(event);
        else hold.push(event);
      }),
      await endOnRoleChange(options.bus, options.userId, () => stream.end()),
    );
    try {
      const { first, seed } = await readFirst();
      if (seed) stream.orderer?.seed(seed.recordingId, seed.sequence);
      stream.push(first);
    } catch (error) {
      stream.end();
      throw error;
    }
    ready = true;
    for (const event of hold) stream.accept(event);
    return stream;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Hands every message (buffered ones first) to `deliver`, in order; `onEnd` runs once when the stream ends. */
  consume(deliver: (item: Item<M>) => void, onEnd: () => void): void {
    if (this.sink || this.queue) throw new Error("a stream has one consumer");
    this.sink = deliver;
    for (const item of this.buffered.splice(0)) deliver(item);
    if (this.ended) onEnd();
    else this.endListeners.push(onEnd);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.orderer?.close();
    for (const stop of this.stops.splice(0)) stop();
    this.queue?.close();
    for (const listener of this.endListeners.splice(0)) listener();
  }

  private accept(event: Topics[T]): void {
    if (this.ended) return;
    if (this.orderer) this.orderer.accept(event as Topics[T] & Sequenced);
    else this.emit(event);
  }

  private emit(event: Topics[T]): void {
    this.push(this.options.toMessage(event));
  }

  private push(item: Item<M>): void {
    if (this.ended) return;
    if (this.sink) this.sink(item);
    else if (this.queue) this.queue.push(item);
    else this.buffered.push(item);
  }

  private iterator(): SlidingQueue<Item<M>> {
    if (!this.queue) {
      if (this.sink) throw new Error("a stream has one consumer");
      this.queue = new SlidingQueue<Item<M>>(SUBSCRIBER_BUFFER, () => this.end());
      for (const item of this.buffered.splice(0)) this.queue.push(item);
      if (this.ended) this.queue.close();
    }
    return this.queue;
  }

  async next(): Promise<IteratorResult<M>> {
    const result = await this.iterator().next();
    return result.done ? { value: undefined, done: true } : { value: await result.value, done: false };
  }

  async return(): Promise<IteratorResult<M>> {
    this.end();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<M> {
    return this;
  }
}
