import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { DataSource, FindOptionsWhere, LessThan, Between, MoreThanOrEqual, LessThanOrEqual } from "typeorm";
import type { Viewer } from "../auth/viewer";
import type { UnitOfWork } from "../database/transaction";
import { AuditAction } from "./audit-action";
import { AuditEntryEntity } from "./audit-entry.entity";
import { AuditHeadEntity } from "./audit-head.entity";
import { GENESIS_HASH, hashAuditEntry } from "./audit-hash";

export interface AuditRecord {
  actor: Viewer | undefined;
  action: AuditAction;
  targetType: "RECORDING" | "USER" | "CUSTOMER" | "CALL" | "RETENTION_POLICY";
  targetId: string;
  details: Record<string, unknown>;
  requestId: string;
}

export interface AuditFilter {
  action?: AuditAction;
  targetId?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  entries: AuditEntryEntity[];
  hasNextPage: boolean;
}

export interface AuditVerification {
  valid: boolean;
  checkedEntries: number;
  firstInvalidPosition: number | null;
}

const HEAD_ID = 1;
const VERIFY_BATCH = 500;

export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates the chain's head row once; safe to call on every start. */
  async ensureHead(): Promise<void> {
    const repo = this.dataSource.getRepository(AuditHeadEntity);
    if (await repo.findOne({ where: { id: HEAD_ID } })) return;
    await repo.insert({ id: HEAD_ID, position: 0, hash: GENESIS_HASH }).catch(async (error) => {
      if (!(await repo.findOne({ where: { id: HEAD_ID } }))) throw error;
    });
  }

  /** Appends inside the caller's transaction: the entry exists if and only if the audited change committed. */
  async append(uow: UnitOfWork, record: AuditRecord): Promise<AuditEntryEntity> {
    const { manager } = uow;
    const head = await manager.findOne(AuditHeadEntity, { where: { id: HEAD_ID }, lock: uow.lock });
    if (!head) throw new Error("audit chain head is missing; the service was not started through createApp");
    const entry = manager.create(AuditEntryEntity, {
      position: head.position + 1,
      occurredAt: new Date(),
      actorId: record.actor?.userId ?? null,
      actorRoles: record.actor ? [...record.actor.roles].sort() : [],
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId,
      details: record.details,
      requestId: record.requestId,
      prevHash: head.hash,
    });
    entry.hash = hashAuditEntry(entry);
    await manager.insert(AuditEntryEntity, entry as unknown as QueryDeepPartialEntity<AuditEntryEntity>);
    await manager.update(AuditHeadEntity, { id: HEAD_ID }, { position: entry.position, hash: entry.hash });
    return entry;
  }

  async list(first: number, afterPosition: number | undefined, filter: AuditFilter): Promise<AuditPage> {
    const where: FindOptionsWhere<AuditEntryEntity> = {};
    if (filter.action) where.action = filter.action;
    if (filter.targetId) where.targetId = filter.targetId;
    if (filter.actorId) where.actorId = filter.actorId;
    if (filter.from && filter.to) where.occurredAt = Between(filter.from, filter.to);
    else if (filter.from) where.occurredAt = MoreThanOrEqual(filter.from);
    else if (filter.to) where.occurredAt = LessThanOrEqual(filter.to);
    if (afterPosition !== undefined) where.position = LessThan(afterPosition);
    const rows = await this.dataSource.getRepository(AuditEntryEntity).find({
      where,
      order: { position: "DESC" },
      take: first + 1,
    });
    return { entries: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Walks the whole chain: recomputes each hash and checks each link and the head. */
  async verify(): Promise<AuditVerification> {
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    let prevHash = GENESIS_HASH;
    let expectedPosition = 1;
    let checked = 0;
    for (;;) {
      const batch = await repo.find({
        where: { position: MoreThanOrEqual(expectedPosition) },
        order: { position: "ASC" },
        take: VERIFY_BATCH,
      });
      for (const entry of batch) {
        if (entry.position !== expectedPosition || entry.prevHash !== prevHash || hashAuditEntry(entry) !== entry.hash) {
          return { valid: false, checkedEntries: checked, firstInvalidPosition: expectedPosition };
        }
        prevHash = entry.hash;
        expectedPosition++;
        checked++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    const head = await this.dataSource.getRepository(AuditHeadEntity).findOne({ where: { id: HEAD_ID } });
    if (!head || head.position !== checked || head.hash !== prevHash) {
      return { valid: false, checkedEntries: checked, firstInvalidPosition: checked + 1 };
    }
    return { valid: true, checkedEntries: checked, firstInvalidPosition: null };
  }
}
