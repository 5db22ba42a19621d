import { Brackets, DataSource, EntityManager, IsNull, SelectQueryBuilder, WhereExpressionBuilder } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode, notFound } from "../common/errors";
import { newId } from "../common/ids";
import { optionalVisibleText, requireVisibleText } from "../common/reason";
import { CustomerEntity } from "../customers/customer.entity";
import { TransactionRunner, UnitOfWork } from "../database/transaction";
import { RecordingState } from "../recordings/recording-state";
import { lockRecording } from "../recordings/recording-store";
import { RecordingEntity } from "../recordings/recording.entity";
import { LegalHoldEntity, LegalHoldScope } from "./legal-hold.entity";

export const LEGAL_HOLD_REASON_MAX = 1000;
export const LEGAL_HOLD_MATTER_MAX = 200;

export interface PlaceLegalHoldRequest {
  recordingId?: string | null;
  customerId?: string | null;
  reason: string;
  matter?: string | null;
}

export interface LegalHoldFilter {
  recordingId?: string;
  customerId?: string;
  includeReleased?: boolean;
}

/** The recording fields a hold is matched on. */
export interface HoldableRecording {
  id: string;
  customerId: string;
}

export const legalHoldError = (recordingId: string, hold: LegalHoldEntity) =>
  new DomainError(
    ErrorCode.LegalHold,
    `recording ${recordingId} is under legal hold ${hold.id}${hold.matter ? ` (matter ${hold.matter})` : ""}: ${hold.reason}`,
    { holdId: hold.id, scope: hold.scope, matter: hold.matter },
  );

/**
 * Legal holds on a recording or a whole customer. Every action that destroys audio (delete, redaction,
 * retention) asks `assertNotHeld` inside its own transaction, after locking the recording; placing a hold
 * locks the same rows (recording, then customer), so a hold and a destruction cannot both commit.
 */
export class LegalHoldService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
  ) {}

  async place(viewer: Viewer, requestId: string, request: PlaceLegalHoldRequest): Promise<LegalHoldEntity> {
    const recordingId = request.recordingId ?? undefined;
    const customerId = request.customerId ?? undefined;
    if ((recordingId === undefined) === (customerId === undefined)) throw badInput("give exactly one of recordingId or customerId", "input");
    const reason = requireVisibleText(request.reason, { field: "reason", max: LEGAL_HOLD_REASON_MAX, requiredFor: "to place a legal hold" });
    const matter = optionalVisibleText(request.matter, { field: "matter", max: LEGAL_HOLD_MATTER_MAX });

    return this.transactions.run(async (uow) => {
      let heldCustomerId: string;
      if (recordingId !== undefined) {
        const recording = await lockRecording(uow, recordingId);
        if (!recording) throw notFound("Recording", recordingId);
        if (recording.state === RecordingState.DELETED) {
          throw new DomainError(ErrorCode.RecordingNotAvailable, `recording ${recordingId} has been deleted; there is nothing left to hold`, { state: recording.state });
        }
        heldCustomerId = recording.customerId;
      } else {
        heldCustomerId = customerId as string;
      }
      if (!(await this.lockCustomer(uow, heldCustomerId))) throw notFound("Customer", heldCustomerId);
      const hold = uow.manager.create(LegalHoldEntity, {
        id: newId(),
        scope: recordingId !== undefined ? LegalHoldScope.RECORDING : LegalHoldScope.CUSTOMER,
        recordingId: recordingId ?? null,
        customerId: heldCustomerId,
        reason,
        matter,
        placedById: viewer.userId,
        placedAt: new Date(),
        releasedAt: null,
        releasedById: null,
        releaseReason: null,
      });
      await uow.manager.insert(LegalHoldEntity, hold);
      await this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.LEGAL_HOLD_PLACED,
        ...auditTarget(hold),
        details: { holdId: hold.id, scope: hold.scope, reason, matter, customerId: hold.customerId },
        requestId,
      });
      return hold;
    });
  }

  /** Releasing a released hold returns it unchanged. */
  async release(viewer: Viewer, requestId: string, holdId: string, rawReason: string): Promise<LegalHoldEntity> {
    const reason = requireVisibleText(rawReason, { field: "reason", max: LEGAL_HOLD_REASON_MAX, requiredFor: "to release a legal hold" });
    return this.transactions.run(async (uow) => {
      const hold = await uow.manager.findOne(LegalHoldEntity, { where: { id: holdId }, lock: uow.lock });
      if (!hold) throw notFound("LegalHold", holdId);
      if (hold.releasedAt) return hold;
      const now = new Date();
      const result = await uow.manager.update(LegalHoldEntity, { id: hold.id, releasedAt: IsNull() }, { releasedAt: now, releasedById: viewer.userId, releaseReason: reason });
      // Released by someone else since it was read: theirs stands.
      if (result.affected !== 1) return uow.manager.findOneOrFail(LegalHoldEntity, { where: { id: hold.id } });
      Object.assign(hold, { releasedAt: now, releasedById: viewer.userId, releaseReason: reason });
      await this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.LEGAL_HOLD_RELEASED,
        ...auditTarget(hold),
        details: { holdId: hold.id, scope: hold.scope, reason, matter: hold.matter, placedReason: hold.reason, customerId: hold.customerId },
        requestId,
      });
      return hold;
    });
  }

  async list(filter: LegalHoldFilter): Promise<LegalHoldEntity[]> {
    const query = this.dataSource.getRepository(LegalHoldEntity).createQueryBuilder("h").orderBy("h.placedAt", "DESC").addOrderBy("h.id", "DESC");
    if (!filter.includeReleased) query.andWhere("h.releasedAt IS NULL");
    if (filter.customerId) query.andWhere("h.customerId = :customerId", { customerId: filter.customerId });
    if (filter.recordingId) {
      const recording = await this.dataSource.getRepository(RecordingEntity).findOne({ where: { id: filter.recordingId } });
      if (!recording) return [];
      query.andWhere(holdsCovering("h", recording));
    }
    return query.getMany();
  }

  /** The active holds that keep this recording: its own and its customer's. */
  async activeHoldsOn(recording: HoldableRecording): Promise<LegalHoldEntity[]> {
    return activeHoldsQuery(this.dataSource.manager, recording).getMany();
  }

  /**
   * Refuses with LEGAL_HOLD, naming the oldest active hold. Call inside the destroying transaction after the
   * recording is locked; the customer row lock orders it against placing a customer-wide hold.
   */
  async assertNotHeld(uow: UnitOfWork, recording: HoldableRecording): Promise<void> {
    await this.lockCustomer(uow, recording.customerId);
    const hold = await activeHoldsQuery(uow.manager, recording).getOne();
    if (hold) throw legalHoldError(recording.id, hold);
  }

  private lockCustomer(uow: UnitOfWork, customerId: string): Promise<CustomerEntity | null> {
    return uow.manager.findOne(CustomerEntity, { where: { id: customerId }, lock: uow.lock });
  }
}

/** Restricts a recordings query (alias `r`) to recordings no active hold covers: for batch jobs like retention. */
export function excludeHeldRecordings<T extends object>(query: SelectQueryBuilder<T>, alias: string): SelectQueryBuilder<T> {
  return query.andWhere(
    `NOT EXISTS (SELECT 1 FROM legal_holds lh WHERE lh.releasedAt IS NULL AND (lh.recordingId = ${alias}.id OR (lh.scope = :customerScope AND lh.customerId = ${alias}.customerId)))`,
    { customerScope: LegalHoldScope.CUSTOMER },
  );
}

/** Active holds covering the recording (its own and its customer's), oldest first. */
const activeHoldsQuery = (manager: EntityManager, recording: HoldableRecording) =>
  manager
    .getRepository(LegalHoldEntity)
    .createQueryBuilder("h")
    .where("h.releasedAt IS NULL")
    .andWhere(holdsCovering("h", recording))
    .orderBy("h.placedAt", "ASC")
    .addOrderBy("h.id", "ASC");

const holdsCovering = (alias: string, recording: HoldableRecording) =>
  new Brackets((where: WhereExpressionBuilder) => {
    where
      .where(`${alias}.recordingId = :heldRecordingId`, { heldRecordingId: recording.id })
      .orWhere(`(${alias}.scope = :customerScope AND ${alias}.customerId = :heldCustomerId)`, { customerScope: LegalHoldScope.CUSTOMER, heldCustomerId: recording.customerId });
  });

const auditTarget = (hold: LegalHoldEntity) =>
  hold.scope === LegalHoldScope.RECORDING
    ? { targetType: "RECORDING" as const, targetId: hold.recordingId as string }
    : { targetType: "CUSTOMER" as const, targetId: hold.customerId };
