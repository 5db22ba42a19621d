import type { IngestLimits } from "../config/config";
import type { IngestPrincipal } from "./ingest-auth";

/** A stream this instance can finish on shutdown. */
export interface AdmittedStream {
  shutdown(): Promise<void>;
}

/** A user's whole quota of new streams comes back over this long: a gateway may (re)open all its calls in 10 s. */
const REFILL_MS = 10_000;

export type Admission = { admitted: true; release: () => void } | { admitted: false; code: number; reason: string };

/** Close codes (RFC 6455): 1001 going away, 1008 policy violation, 1013 try again later. */
export const ADMISSION_CLOSE = { goingAway: 1001, policy: 1008, tryAgainLater: 1013 } as const;

/**
 * Which media streams this instance carries: a cap per instance and per API user, and none once shutting
 * down. Shutdown finishes every admitted stream (MP3 committed, recording settled) before the database closes.
 */
export class MediaStreamAdmission {
  private readonly streams = new Set<AdmittedStream>();
  private readonly perUser = new Map<string, number>();
  /** New streams per API user: a bucket of maxStreamsPerUser that refills over REFILL_MS. */
  private readonly starts = new Map<string, { tokens: number; at: number }>();
  private closing = false;

  constructor(
    private readonly limits: Pick<IngestLimits, "maxStreams" | "maxStreamsPerUser">,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  admit(principal: IngestPrincipal, stream: AdmittedStream): Admission {
    if (this.closing) return { admitted: false, code: ADMISSION_CLOSE.goingAway, reason: "server shutting down" };
    if (this.streams.size >= this.limits.maxStreams) {
      return { admitted: false, code: ADMISSION_CLOSE.tryAgainLater, reason: `this instance carries its maximum of ${this.limits.maxStreams} media streams` };
    }
    const user = principal.viewer?.userId;
    const userStreams = user ? (this.perUser.get(user) ?? 0) : 0;
    if (user && userStreams >= this.limits.maxStreamsPerUser) {
      return { admitted: false, code: ADMISSION_CLOSE.policy, reason: `at most ${this.limits.maxStreamsPerUser} concurrent media streams per API user` };
    }
    // Each stream opens an encoder and an upload: a client reconnecting in a loop is slowed down, not served.
    if (user && !this.takeStartToken(user)) {
      return { admitted: false, code: ADMISSION_CLOSE.policy, reason: "new media streams are opened too fast for this API user" };
    }
    this.streams.add(stream);
    if (user) this.perUser.set(user, userStreams + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.streams.delete(stream);
        if (!user) return;
        const left = (this.perUser.get(user) ?? 1) - 1;
        if (left > 0) this.perUser.set(user, left);
        else this.perUser.delete(user);
      },
    };
  }

  private takeStartToken(user: string): boolean {
    const now = this.now();
    const capacity = this.limits.maxStreamsPerUser;
    const bucket = this.starts.get(user) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * capacity) / REFILL_MS);
    bucket.at = now;
    this.starts.set(user, bucket);
    if (bucket.tokens >= capacity) this.starts.delete(user);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    this.starts.set(user, bucket);
    return true;
  }

  /** Refuses new streams and finishes the admitted ones. */
  async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.streams].map((stream) => stream.shutdown()));
  }
}
