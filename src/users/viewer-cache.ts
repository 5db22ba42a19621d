import type { Viewer } from "../auth/viewer";

const DEFAULT_MAX_ENTRIES = 10_000;

interface Cached {
  viewer: Viewer;
  expiresAt: number;
}

export interface ViewerCacheOptions {
  /** How long a viewer read from the database may answer later requests; 0 reads it for every request. */
  ttlMs: number;
  /** Past this many users the longest-held copy goes first (a Map keeps insertion order). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Viewers (a user and the roles they hold) kept between requests, so a busy agent's every pause does not read
 * the same two rows again. A role change drops the user's copy before its own request is answered (`forget`,
 * on this instance) and as it arrives over the event bus (the other instances); while the bus may be missing
 * events (`suspend`), nothing is cached. The TTL bounds what no event announces: roles edited in the database
 * by hand.
 */
export class ViewerCache {
  private readonly entries = new Map<string, Cached>();
  /** Bumped by every forget: a read that started before one must not store what it found. */
  private epoch = 0;
  private suspended = false;
  private readonly now: () => number;

  constructor(
    private readonly load: (userId: string) => Promise<Viewer | undefined>,
    private readonly options: ViewerCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(userId: string): Promise<Viewer | undefined> {
    const cached = this.entries.get(userId);
    if (cached && cached.expiresAt > this.now()) return cached.viewer;
    if (cached) this.entries.delete(userId);
    const epoch = this.epoch;
    const viewer = await this.load(userId);
    // An unknown user is not kept: a token minted for a user about to be created must work once they are.
    if (viewer && epoch === this.epoch && !this.suspended && this.options.ttlMs > 0) {
      this.entries.delete(userId);
      if (this.entries.size >= (this.options.maxEntries ?? DEFAULT_MAX_ENTRIES)) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(userId, { viewer, expiresAt: this.now() + this.options.ttlMs });
    }
    return viewer;
  }

  forget(userId: string): void {
    this.epoch++;
    this.entries.delete(userId);
  }

  /** Events may be missed from now on: forget everything and keep nothing until `resume`. */
  suspend(): void {
    this.suspended = true;
    this.forgetAll();
  }

  /** Events flow again; what was read meanwhile may predate a missed change, so it starts empty. */
  resume(): void {
    this.suspended = false;
    this.forgetAll();
  }

  get size(): number {
    return this.entries.size;
  }

  private forgetAll(): void {
    this.epoch++;
    this.entries.clear();
  }
}
