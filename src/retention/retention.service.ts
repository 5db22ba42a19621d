import { DataSource, EntityManager, In } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { badInput, notFound } from "../common/errors";
import { crashPoint } from "../common/fault-injection";
import { newId } from "../common/ids";
import { CustomerEntity } from "../customers/customer.entity";
import { TransactionRunner, UnitOfWork } from "../database/transaction";
import { excludeHeldRecordings } from "../legal-holds/legal-hold.service";
import type { AppliedPolicy, RecordingDeletionService } from "../recordings/recording-deletion.service";
import { RecordingState } from "../recordings/recording-state";
import { RecordingEntity } from "../recordings/recording.entity";
import { GLOBAL_SCOPE, RetentionPolicyEntity } from "./retention-policy.entity";
import { RetentionRunEntity, RetentionRunStatus } from "./retention-run.entity";

export const RETENTION_DAYS_MAX = 36_500;
const DAY_MS = 86_400_000;
const EXPIRABLE = [RecordingState.AVAILABLE, RecordingState.FAILED];

export interface SetRetentionPolicyRequest {
  /** Omitted: the global default. */
  customerId?: string | null;
  /** null: keep forever. */
  days: number | null;
}

export interface RetentionRunOptions {
  holderId: string;
  /** Asked between batches: false (e.g. the lease was lost) stops the run, leaving the rest to the next one. */
  shouldContinue?: () => Promise<boolean>;
  now?: () => Date;
}

export const retentionReason = (days: number) => `Retention: ${days} ${days === 1 ? "day" : "days"}`;

/**
 * Retention policies and the job that enforces them. The job walks expired recordings policy by policy in
 * batches (keyset order, so every pass makes progress), one transaction per batch, each recording deleted
 * through the same destruction as a manual delete. Each recording's policy is re-read under its row lock,
 * so a policy changed mid-run is honoured; a recording already deleted is skipped, so a run resumed after a
 * crash, or a second instance, never deletes anything twice.
 */
export class RetentionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly deletion: Pick<RecordingDeletionService, "expireInTransaction">,
    private readonly batchSize: number,
  ) {}

  async setPolicy(viewer: Viewer, requestId: string, request: SetRetentionPolicyRequest): Promise<RetentionPolicyEntity> {
    const customerId = request.customerId ?? null;
    const days = request.days ?? null;
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > RETENTION_DAYS_MAX)) {
      throw badInput(`days must be a whole number from 1 to ${RETENTION_DAYS_MAX}, or null to keep forever`, "days");
    }
    return this.transactions.run(async (uow) => {
      if (customerId !== null && !(await uow.manager.findOne(CustomerEntity, { where: { id: customerId } }))) throw notFound("Customer", customerId);
      const scope = customerId ?? GLOBAL_SCOPE;
      const previous = await uow.manager.findOne(RetentionPolicyEntity, { where: { scope }, lock: uow.lock });
      const policy = uow.manager.create(RetentionPolicyEntity, { scope, customerId, days, setById: viewer.userId, setAt: new Date() });
      if (previous) await uow.manager.update(RetentionPolicyEntity, { scope }, { days, setById: policy.setById, setAt: policy.setAt });
      else await uow.manager.insert(RetentionPolicyEntity, policy);
      await this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.RETENTION_POLICY_SET,
        targetType: customerId ? "CUSTOMER" : "RETENTION_POLICY",
        targetId: customerId ?? "global",
        details: { customerId, days, previousDays: previous ? previous.days : null, hadPolicy: previous !== null },
        requestId,
      });
      return policy;
    });
  }

  /** The global default first, then customer overrides. */
  async policies(): Promise<RetentionPolicyEntity[]> {
    const rows = await this.dataSource.getRepository(RetentionPolicyEntity).find({ order: { setAt: "ASC" } });
    return [...rows.filter((p) => p.scope === GLOBAL_SCOPE), ...rows.filter((p) => p.scope !== GLOBAL_SCOPE)];
  }

  async runs(first: number): Promise<RetentionRunEntity[]> {
    return this.dataSource.getRepository(RetentionRunEntity).find({ order: { startedAt: "DESC", id: "DESC" }, take: first });
  }

  /** One pass over every policy. Returns the run with its final counters. */
  async run(options: RetentionRunOptions): Promise<RetentionRunEntity> {
    const now = options.now ?? (() => new Date());
    const runs = this.dataSource.getRepository(RetentionRunEntity);
    // Only the lease holder runs, so a run still marked RUNNING belongs to an instance that died.
    await runs.update({ status: RetentionRunStatus.RUNNING }, { status: RetentionRunStatus.INTERRUPTED, updatedAt: now() });
    const run = runs.create({
      id: newId(),
      holderId: options.holderId,
      status: RetentionRunStatus.RUNNING,
      startedAt: now(),
      updatedAt: now(),
      finishedAt: null,
      batches: 0,
      expired: 0,
      held: 0,
    });
    await runs.insert(run);
    try {
      let stopped = false;
      for (const policy of await this.policies()) {
        if (policy.days === null) continue;
        if (!(await this.expireUnder(policy, run, options, now))) {
          stopped = true;
          break;
        }
      }
      const status = stopped ? RetentionRunStatus.INTERRUPTED : RetentionRunStatus.FINISHED;
      Object.assign(run, { status, finishedAt: now(), updatedAt: now() });
      await runs.update({ id: run.id }, { status, finishedAt: run.finishedAt, updatedAt: run.updatedAt });
      return run;
    } catch (error) {
      await runs.update({ id: run.id }, { status: RetentionRunStatus.FAILED, updatedAt: now() }).catch(() => undefined);
      throw error;
    }
  }

  /** Expires the recordings one policy covers, batch by batch; false when told to stop. */
  private async expireUnder(policy: RetentionPolicyEntity, run: RetentionRunEntity, options: RetentionRunOptions, now: () => Date): Promise<boolean> {
    let after: { startedAt: Date; id: string } | undefined;
    for (;;) {
      if (options.shouldContinue && !(await options.shouldContinue())) return false;
      const cutoff = new Date(now().getTime() - (policy.days as number) * DAY_MS);
      const batch = await this.candidates(policy, cutoff, after);
      if (batch.length === 0) return true;
      after = batch[batch.length - 1];
      const requestId = `retention:${run.id}`;
      await this.transactions.run(async (uow) => {
        let expired = 0;
        let held = 0;
        for (const candidate of batch) {
          const outcome = await this.deletion.expireInTransaction(uow, candidate.id, { requestId, stillExpired: (u, recording) => this.expiryOf(u, recording, now()) });
          if (outcome === "EXPIRED") expired++;
          if (outcome === "HELD") held++;
          if (expired === 1) crashPoint("crash-mid-retention-batch");
        }
        await uow.manager
          .createQueryBuilder()
          .update(RetentionRunEntity)
          .set({ batches: () => "batches + 1", expired: () => `expired + ${expired}`, held: () => `held + ${held}`, updatedAt: now() })
          .where("id = :id", { id: run.id })
          .execute();
        uow.afterCommit(() => {
          run.batches++;
          run.expired += expired;
          run.held += held;
        });
      });
    }
  }

  /** Recordings past this policy's cutoff, not held, oldest first, after the keyset position. */
  private candidates(policy: RetentionPolicyEntity, cutoff: Date, after: { startedAt: Date; id: string } | undefined): Promise<Pick<RecordingEntity, "id" | "startedAt">[]> {
    const query = this.dataSource
      .getRepository(RecordingEntity)
      .createQueryBuilder("r")
      .select(["r.id", "r.startedAt"])
      .where("r.state IN (:...states)", { states: EXPIRABLE })
      .andWhere("r.startedAt < :cutoff", { cutoff })
      .orderBy("r.startedAt", "ASC")
      .addOrderBy("r.id", "ASC")
      .take(this.batchSize);
    if (policy.customerId) query.andWhere("r.customerId = :customerId", { customerId: policy.customerId });
    else query.andWhere("NOT EXISTS (SELECT 1 FROM retention_policies p WHERE p.scope = r.customerId)");
    if (after) query.andWhere("(r.startedAt > :afterAt OR (r.startedAt = :afterAt AND r.id > :afterId))", { afterAt: after.startedAt, afterId: after.id });
    return excludeHeldRecordings(query, "r").getMany();
  }

  /** The policy that expires this (locked) recording now, read inside the batch transaction; null if none does. */
  private async expiryOf(uow: UnitOfWork, recording: RecordingEntity, now: Date): Promise<AppliedPolicy | null> {
    const policy = await effectivePolicy(uow.manager, recording.customerId);
    if (!policy || policy.days === null) return null;
    if (recording.startedAt.getTime() >= now.getTime() - policy.days * DAY_MS) return null;
    return {
      reason: retentionReason(policy.days),
      setById: policy.setById,
      details: { scope: policy.customerId ? "CUSTOMER" : "GLOBAL", customerId: policy.customerId, days: policy.days, setAt: policy.setAt.toISOString(), setById: policy.setById },
    };
  }
}

/** The customer's override if there is one, else the global default, else none (keep forever). */
export async function effectivePolicy(manager: EntityManager, customerId: string): Promise<RetentionPolicyEntity | null> {
  const rows = await manager.find(RetentionPolicyEntity, { where: { scope: In([customerId, GLOBAL_SCOPE]) } });
  return rows.find((p) => p.scope === customerId) ?? rows.find((p) => p.scope === GLOBAL_SCOPE) ?? null;
}
