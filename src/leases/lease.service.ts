import { DataSource, MoreThanOrEqual } from "typeorm";
import { isUniqueViolation } from "../database/errors";
import { LeaseEntity } from "./lease.entity";

export interface LeaseHolder {
  name: string;
  holderId: string;
  expiresAt: Date;
}

const MAX_NAME_LENGTH = 100;

/**
 * Database leases: mutual exclusion across the fleet without another coordination service. Every change is
 * one conditional statement (UPDATE … WHERE the lease is free or ours, or INSERT racing on the primary key),
 * so two instances can never both believe they hold a lease. Times come from each instance's clock: keep the
 * fleet's clocks in sync (NTP) and TTLs well above the skew.
 */
export class LeaseService {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes the lease if it is free, expired or already ours (then it is extended); false when someone else holds it. */
  async tryAcquire(name: string, holderId: string, ttlMs: number, now = new Date()): Promise<boolean> {
    assertLease(name, holderId, ttlMs);
    const expiresAt = new Date(now.getTime() + ttlMs);
    const taken = await this.dataSource
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ holderId, expiresAt, acquiredAt: now })
      .where("name = :name AND (holderId = :holderId OR expiresAt < :now)", { name, holderId, now })
      .execute();
    if (taken.affected === 1) return true;
    try {
      await this.dataSource.getRepository(LeaseEntity).insert({ name, holderId, expiresAt, acquiredAt: now });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Extends a lease we still hold; false once it expired or was taken over (stop the work it guards). */
  async renew(name: string, holderId: string, ttlMs: number, now = new Date()): Promise<boolean> {
    assertLease(name, holderId, ttlMs);
    const renewed = await this.dataSource
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ expiresAt: new Date(now.getTime() + ttlMs) })
      .where("name = :name AND holderId = :holderId AND expiresAt >= :now", { name, holderId, now })
      .execute();
    return renewed.affected === 1;
  }

  /** Gives the lease up at once (a holder that dies instead lets it expire). Releasing someone else's lease does nothing. */
  async release(name: string, holderId: string): Promise<void> {
    await this.dataSource.getRepository(LeaseEntity).delete({ name, holderId });
  }

  /** Unexpired leases whose name starts with `prefix`. */
  async held(prefix: string, now = new Date()): Promise<LeaseHolder[]> {
    const pattern = likePrefix(prefix);
    const rows = await this.dataSource
      .getRepository(LeaseEntity)
      .createQueryBuilder("lease")
      .where("lease.name LIKE :pattern ESCAPE '!' AND lease.expiresAt >= :now", { pattern, now })
      .getMany();
    return rows.map(({ name, holderId, expiresAt }) => ({ name, holderId, expiresAt }));
  }

  /** Forgets leases under `prefix` that expired before `before` (dead instances' liveness leases pile up otherwise). */
  async purgeExpired(prefix: string, before: Date): Promise<number> {
    const pattern = likePrefix(prefix);
    const purged = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(LeaseEntity)
      .where("name LIKE :pattern ESCAPE '!' AND expiresAt < :before", { pattern, before })
      .execute();
    return purged.affected ?? 0;
  }

  async holderOf(name: string, now = new Date()): Promise<string | null> {
    const row = await this.dataSource.getRepository(LeaseEntity).findOne({ where: { name, expiresAt: MoreThanOrEqual(now) } });
    return row?.holderId ?? null;
  }

  /**
   * Runs `job` only if this holder gets the lease, renewing it while the job runs so a long job is not
   * taken over, and releasing it afterwards. If the holder dies mid-job the lease expires after `ttlMs` and
   * another instance may run the job. Resolves to `{ ran: false }` when another instance holds it.
   */
  async runExclusive<T>(name: string, holderId: string, ttlMs: number, job: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    if (!(await this.tryAcquire(name, holderId, ttlMs))) return { ran: false };
    const renewal = setInterval(() => void this.renew(name, holderId, ttlMs).catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
    renewal.unref();
    try {
      return { ran: true, result: await job() };
    } finally {
      clearInterval(renewal);
      await this.release(name, holderId).catch(() => undefined);
    }
  }
}

/** A LIKE pattern for names starting with `prefix`; "!" escapes, as a backslash literal is spelled differently on MySQL and SQLite. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

function assertLease(name: string, holderId: string, ttlMs: number): void {
  if (!name || name.length > MAX_NAME_LENGTH) throw new RangeError(`A lease name is 1 to ${MAX_NAME_LENGTH} characters`);
  if (!holderId || holderId.length > MAX_NAME_LENGTH) throw new RangeError(`A lease holder id is 1 to ${MAX_NAME_LENGTH} characters`);
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError("A lease TTL is a positive whole number of milliseconds");
}
