import type { LeaseService } from "./lease.service";

const PRESENCE_PREFIX = "instance:";

/**
 * This instance's liveness, as a lease named `instance:<id>` renewed several times per TTL. An instance whose
 * lease has lapsed is dead (SIGKILLed, partitioned, frozen): its work may be settled by the survivors.
 */
export class InstancePresence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly leases: LeaseService,
    readonly instanceId: string,
    readonly staleAfterMs: number,
    /**
     * This instance is the only one on its database (no REDIS_URL, so no fleet): any other instance id is a
     * previous process of this one, dead by definition, and need not be waited for.
     */
    private readonly alone: boolean,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.leases.tryAcquire(this.leaseName(), this.instanceId, this.staleAfterMs);
    this.timer = setInterval(
      () => void this.leases.tryAcquire(this.leaseName(), this.instanceId, this.staleAfterMs).catch(this.onError),
      Math.max(100, Math.floor(this.staleAfterMs / 4)),
    );
    this.timer.unref();
  }

  /** Whether an instance's lease has lapsed; an unknown owner (null) is dead. */
  async isDead(instanceId: string | null): Promise<boolean> {
    if (instanceId === this.instanceId) return false;
    if (instanceId === null || this.alone) return true;
    return (await this.leases.holderOf(this.leaseName(instanceId))) === null;
  }

  /** The ids of every instance whose lease holds, this one included. */
  async liveInstances(): Promise<Set<string>> {
    const held = await this.leases.held(PRESENCE_PREFIX);
    return new Set([this.instanceId, ...held.map((lease) => lease.holderId)]);
  }

  /** Forgets instances dead for longer than `olderThanMs`: by then nothing they owned is left unsettled. */
  async forgetDead(olderThanMs: number): Promise<number> {
    return this.leases.purgeExpired(PRESENCE_PREFIX, new Date(Date.now() - olderThanMs));
  }

  /** A clean shutdown leaves at once instead of waiting to be declared dead. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.leases.release(this.leaseName(), this.instanceId).catch(() => undefined);
  }

  private leaseName(instanceId = this.instanceId): string {
    return `${PRESENCE_PREFIX}${instanceId}`;
  }
}
