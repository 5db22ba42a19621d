import Redis from "ioredis";
import type { EventBus, Listener, TopicWatcher } from "./event-bus";
import { LocalFanout } from "./local-fanout";
import { eventKeys, type Topic, type Topics } from "./topics";
import { rootLog } from "../logging/logger";

const CHANNEL_PREFIX = "callvault:events:";
const TOPICS: readonly Topic[] = ["RECORDING_STATE_CHANGED", "CUSTOMER_TIMELINE_CHANGED", "USER_ROLES_CHANGED"];

/**
 * One Redis channel per key (`callvault:events:<topic>:<key>`), plus one per topic for whole-topic
 * subscribers: an instance subscribes only to the keys its own subscribers watch, so an event reaches only
 * the instances (and, there, the subscribers) that watch it. Every instance delivers what Redis hands back,
 * its own events included, so all see one order per channel.
 */
export class RedisEventBus implements EventBus {
  private readonly fanout = new LocalFanout();
  /** Channels subscribed or being subscribed: concurrent first listeners wait for the same SUBSCRIBE. */
  private readonly channels = new Map<string, Promise<unknown>>();
  /** Whether the subscriber connection is up with every watched topic subscribed; bumped on each change. */
  private linkUp = true;
  private linkGeneration = 0;
  private closed = false;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    // Redis Pub/Sub delivers at most once: what is published while this connection is down never arrives.
    subscriber.on("close", () => {
      this.linkGeneration++;
      if (!this.linkUp) return;
      this.linkUp = false;
      this.fanout.gap(true);
    });
    subscriber.on("ready", () => void this.linkRestored());
    subscriber.on("message", (channel: string, message: string) => {
      const route = routeOf(channel);
      if (!route) return;
      let payload: Topics[Topic];
      try {
        payload = JSON.parse(message);
      } catch (error) {
        rootLog("dropping malformed event from Redis", error);
        return;
      }
      if (route.key === undefined) this.fanout.deliverWhole(route.topic, payload);
      else this.fanout.deliverKeyed(route.topic, route.key, payload);
    });
  }

  /** `name`: the connections' CLIENT SETNAME prefix, which tells an instance's connections apart in CLIENT LIST. */
  static async connect(url: string, name = "callvault"): Promise<RedisEventBus> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    const publisher = new Redis(url, { ...options, connectionName: `${name}:publisher` });
    const subscriber = new Redis(url, { ...options, connectionName: `${name}:subscriber` });
    await Promise.all([publisher.connect(), subscriber.connect()]);
    return new RedisEventBus(publisher, subscriber);
  }

  /**
   * One round trip: the same bytes to the event's topic channel and to each of its key channels, in that order,
   * so every instance's watchers (caches) have the event before its keyed listeners act on it.
   */
  async publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void> {
    const message = JSON.stringify(payload);
    const pipeline = this.publisher.pipeline();
    pipeline.publish(CHANNEL_PREFIX + topic, message);
    for (const key of eventKeys(topic, payload)) pipeline.publish(`${CHANNEL_PREFIX}${topic}:${key}`, message);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>> {
    const queue = this.fanout.add(topic);
    await this.ensureSubscribed(CHANNEL_PREFIX + topic);
    return queue;
  }

  async listen<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<() => void> {
    const channel = `${CHANNEL_PREFIX}${topic}:${key}`;
    const { stop } = this.fanout.listen(topic, key, listener);
    await this.ensureSubscribed(channel);
    return () => {
      if (!stop()) return;
      this.channels.delete(channel);
      void this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  async watch<T extends Topic>(topic: T, watcher: TopicWatcher<T>): Promise<() => void> {
    const stop = this.fanout.watch(topic, watcher);
    await this.ensureSubscribed(CHANNEL_PREFIX + topic);
    return stop;
  }

  /**
   * Reconnected: ioredis subscribes its channels again on its own, but the watchers are told the gap closed only
   * once the watched topics' SUBSCRIBEs are answered, i.e. once events published from then on reach them.
   */
  private async linkRestored(): Promise<void> {
    if (this.linkUp || this.closed) return;
    const generation = ++this.linkGeneration;
    try {
      const topics = this.fanout.watchedTopics();
      if (topics.length > 0) await this.subscriber.subscribe(...topics.map((topic) => CHANNEL_PREFIX + topic));
    } catch {
      return; // The connection dropped again; the next "ready" tries again.
    }
    if (generation !== this.linkGeneration || this.closed) return;
    this.linkUp = true;
    this.fanout.gap(false);
  }

  private ensureSubscribed(channel: string): Promise<unknown> {
    let subscribed = this.channels.get(channel);
    if (!subscribed) {
      subscribed = this.subscriber.subscribe(channel);
      subscribed.catch(() => this.channels.delete(channel));
      this.channels.set(channel, subscribed);
    }
    return subscribed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fanout.closeAll();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}

function routeOf(channel: string): { topic: Topic; key?: string } | undefined {
  if (!channel.startsWith(CHANNEL_PREFIX)) return undefined;
  const rest = channel.slice(CHANNEL_PREFIX.length);
  const colon = rest.indexOf(":");
  const topic = (colon < 0 ? rest : rest.slice(0, colon)) as Topic;
  if (!TOPICS.includes(topic)) return undefined;
  return colon < 0 ? { topic } : { topic, key: rest.slice(colon + 1) };
}
