import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { DataSource, IsNull, LessThan, Not } from "typeorm";
import { isUniqueViolation } from "../database/errors";
import { AuditChainWalker } from "./audit-chain-walker";
import { AuditCheckpointEntity } from "./audit-checkpoint.entity";
import { AuditCheckpointSigner } from "./audit-checkpoint-signer";
import { AuditEntryEntity } from "./audit-entry.entity";
import { GENESIS_HASH } from "./audit-hash";
import type { AuditService, AuditVerification, ChainedAuditEntry } from "./audit.service";

export interface CheckpointPage {
  checkpoints: AuditCheckpointEntity[];
  hasNextPage: boolean;
}

/** How the chain compares with its latest signed checkpoint. */
export interface CheckpointCheck {
  latestCheckpoint: AuditCheckpointEntity | null;
  /** The log now ends before the latest checkpoint: its newest entries were removed. */
  truncated: boolean;
  /** null without a checkpoint; false when the signature or the entry at its position does not match. */
  checkpointVerified: boolean | null;
}

export class AuditChainBrokenError extends Error {
  constructor(readonly position: number) {
    super(`the audit chain does not verify at position ${position}; no checkpoint was signed`);
    this.name = "AuditChainBrokenError";
  }
}

/**
 * Periodic signed checkpoints of the chain's head. Each checkpoint is signed only after the entries since the
 * previous one were re-verified, so a checkpoint vouches for the whole chain up to its position. Copied out of
 * the system (query or export), they let anyone detect a log whose newest entries were deleted and head rewound.
 */
export class AuditCheckpointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: Pick<AuditService, "head">,
    readonly signer: AuditCheckpointSigner,
    /** Re-verifies the entries since the previous checkpoint off the event loop. */
    private readonly walker: AuditChainWalker,
  ) {}

  /** Signs the current head if it moved since the last checkpoint; null when there is nothing new. Safe on many instances at once. */
  async checkpoint(now = new Date()): Promise<AuditCheckpointEntity | null> {
    const head = await this.audit.head();
    const previous = await this.latest();
    if (head.position === 0 || (previous && head.position <= previous.position)) return null;
    await this.assertChainBetween(previous, head.position);
    const signed = this.signer.sign({ position: head.position, hash: head.hash, signedAt: now });
    const checkpoint = this.dataSource.getRepository(AuditCheckpointEntity).create({ ...signed, signedAt: now });
    try {
      await this.dataSource.getRepository(AuditCheckpointEntity).insert(checkpoint as unknown as QueryDeepPartialEntity<AuditCheckpointEntity>);
    } catch (error) {
      // Another instance signed the same head a moment earlier.
      if (isUniqueViolation(error)) return null;
      throw error;
    }
    return checkpoint;
  }

  /** The chain's head, once everything committed so far is chained. */
  head(): Promise<{ position: number; hash: string }> {
    return this.audit.head();
  }

  async latest(): Promise<AuditCheckpointEntity | null> {
    const [latest] = await this.dataSource.getRepository(AuditCheckpointEntity).find({ order: { position: "DESC" }, take: 1 });
    return latest ?? null;
  }

  /** Newest first. */
  async list(first: number, beforePosition?: number): Promise<CheckpointPage> {
    const rows = await this.dataSource.getRepository(AuditCheckpointEntity).find({
      where: beforePosition !== undefined ? { position: LessThan(beforePosition) } : {},
      order: { position: "DESC" },
      take: first + 1,
    });
    return { checkpoints: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Compares the stored chain (as just verified) with the latest checkpoint. */
  async check(chain: AuditVerification): Promise<CheckpointCheck> {
    const latestCheckpoint = await this.latest();
    if (!latestCheckpoint) return { latestCheckpoint, truncated: false, checkpointVerified: null };
    const newest = await newestChainedEntry(this.dataSource);
    const truncated = (newest?.position ?? 0) < latestCheckpoint.position;
    const atCheckpoint = await this.dataSource.getRepository(AuditEntryEntity).findOne({ where: { position: latestCheckpoint.position } });
    const checkpointVerified =
      this.signer.verify(latestCheckpoint) &&
      atCheckpoint !== null &&
      atCheckpoint.hash === latestCheckpoint.hash &&
      chain.checkedEntries >= latestCheckpoint.position;
    return { latestCheckpoint, truncated, checkpointVerified };
  }

  private async assertChainBetween(from: AuditCheckpointEntity | null, toPosition: number): Promise<void> {
    if (from) {
      const anchor = await this.dataSource.getRepository(AuditEntryEntity).findOne({ where: { position: from.position } });
      if (!anchor || anchor.hash !== from.hash) throw new AuditChainBrokenError(from.position);
    }
    const brokenAt = await this.walker.walk({ expected: (from?.position ?? 0) + 1, prevHash: from?.hash ?? GENESIS_HASH }, toPosition);
    if (brokenAt !== null) throw new AuditChainBrokenError(brokenAt);
  }
}

/** The chained entry with the highest position (entries not chained yet have none). */
export async function newestChainedEntry(dataSource: DataSource): Promise<ChainedAuditEntry | null> {
  const [newest] = await dataSource.getRepository(AuditEntryEntity).find({ where: { position: Not(IsNull()) }, order: { position: "DESC" }, take: 1 });
  return (newest as ChainedAuditEntry | undefined) ?? null;
}
