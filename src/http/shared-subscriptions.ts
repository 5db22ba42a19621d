import { createSourceEventStream, execute, ExecutionArgs, ExecutionResult, GraphQLError } from "graphql";
import { KeyedStream } from "../events/keyed-stream";
import type { Topic } from "../events/topics";
import type { GraphQLContext } from "../graphql/context";

/** Where a WebSocket operation's results go: the raw socket, and the operation's id on it. */
export interface OperationSink {
  socket: { send(data: string): void; readonly bufferedAmount: number; readonly readyState: number };
  operationId: string;
  /** Operations whose results are identical: the same query, operation name, variables and roles. */
  shareKey: string;
}

/** A subscriber this far behind (bytes not yet sent) misses messages instead of growing without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;
const OPEN = 1;

type Formatter = (error: GraphQLError, requestId: string) => unknown;
type Shared = { raw: string } | { result: ExecutionResult };

/**
 * Subscription delivery for graphql-ws that executes and serializes each message once per distinct
 * operation (query, variables, roles) and sends those same bytes to every socket that shares it, instead of
 * running the resolvers and the auth checks once per subscriber per event. The subscribe-time check (the
 * field's `subscribe`, with its authorization) still runs for every subscriber.
 */
export class SharedSubscriptions {
  private readonly results = new WeakMap<object, Map<string, Promise<Shared>>>();

  constructor(
    private readonly formatError: Formatter,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  /** graphql-ws's `subscribe` option. */
  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    const context = args.contextValue as GraphQLContext;
    if (source instanceof KeyedStream && context.sink) return this.deliver(source, args, context, context.sink);
    return executeEach(source, args);
  };

  private deliver(stream: KeyedStream<Topic, object>, args: ExecutionArgs, context: GraphQLContext, sink: OperationSink): AsyncIterableIterator<ExecutionResult> {
    const prefix = `{"id":${JSON.stringify(sink.operationId)},"type":"next","payload":`;
    let tail: Promise<void> = Promise.resolve();
    let finished!: () => void;
    const ended = new Promise<void>((resolve) => (finished = resolve));
    stream.consume(
      (item) => {
        const shared = this.shared(item, args, sink.shareKey);
        tail = tail
          .then(() => shared)
          .then((outcome) => {
            if (stream.isEnded || sink.socket.readyState !== OPEN || sink.socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
            const payload = "raw" in outcome ? outcome.raw : JSON.stringify(this.formatted(outcome.result, context.requestId));
            sink.socket.send(prefix + payload + "}");
          })
          .catch((error) => this.log(`subscription delivery failed (request ${context.requestId})`, error));
      },
      () => finished(),
    );
    // Yields nothing (results went straight to the socket); finishing tells graphql-ws to send `complete`.
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        await ended;
        await tail;
        return { value: undefined, done: true };
      },
      return: async () => {
        stream.end();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The message executed and serialized once per share key; results with errors are formatted per subscriber. */
  private shared(item: object, args: ExecutionArgs, shareKey: string): Promise<Shared> {
    let byKey = this.results.get(item);
    if (!byKey) this.results.set(item, (byKey = new Map()));
    let shared = byKey.get(shareKey);
    if (!shared) {
      shared = Promise.resolve(item)
        .then((message) => execute({ ...args, rootValue: message }))
        .then((result): Shared => (result.errors?.length ? { result } : { raw: JSON.stringify(result) }));
      byKey.set(shareKey, shared);
    }
    return shared;
  }

  private formatted(result: ExecutionResult, requestId: string) {
    return { ...result, errors: result.errors?.map((error) => this.formatError(error, requestId)) };
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === "function";
}

/** What graphql-js does for a subscription: execute the operation once per source message. */
async function* executeEach(source: AsyncIterable<unknown>, args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
  for await (const message of source) yield await execute({ ...args, rootValue: message });
}
