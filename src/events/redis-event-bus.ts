import Redis from "ioredis";
import type { EventBus } from "./event-bus";
import { LocalFanout } from "./local-fanout";
import type { Topic, Topics } from "./topics";
import { rootLog } from "../logging/logger";

const CHANNEL_PREFIX = "callvault:events:";
const TOPICS: Topic[] = ["RECORDING_STATE_CHANGED", "CUSTOMER_TIMELINE_CHANGED", "USER_ROLES_CHANGED"];

/**
 * Every instance publishes to Redis and delivers what Redis hands back, its own events included,
 * so subscribers on all instances see one order per channel.
 */
export class RedisEventBus implements EventBus {
  private readonly fanout = new LocalFanout();

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    subscriber.on("message", (channel: string, message: string) => {
      const topic = channel.slice(CHANNEL_PREFIX.length) as Topic;
      try {
        this.fanout.deliver(topic, JSON.parse(message));
      } catch (error) {
        rootLog("dropping malformed event from Redis", error);
      }
    });
  }

  static async connect(url: string): Promise<RedisEventBus> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    const publisher = new Redis(url, options);
    const subscriber = new Redis(url, options);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.subscribe(...TOPICS.map((topic) => CHANNEL_PREFIX + topic));
    return new RedisEventBus(publisher, subscriber);
  }

  async publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void> {
    await this.publisher.publish(CHANNEL_PREFIX + topic, JSON.stringify(payload));
  }

  async subscribe<T extends Topic>(topic: T): Promise<AsyncIterableIterator<Topics[T]>> {
    return this.fanout.add(topic);
  }

  async close(): Promise<void> {
    this.fanout.closeAll();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}
