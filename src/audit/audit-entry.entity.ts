import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";

const bigintNumber = { to: (v: number | null) => v, from: (v: string | number | null) => (v === null ? null : Number(v)) };

/**
 * Append-only and hash-chained. A transaction inserts its entry unchained (only `id`); the sequencer then
 * gives it the next `position`, the previous entry's hash and its own (see audit-sequencer.ts).
 */
@Entity({ name: "audit_entries" })
@Index(["targetType", "targetId"])
@Index(["action", "position"])
export class AuditEntryEntity {
  /** Time-ordered (milliseconds, then random): the order the sequencer chains committed entries in. */
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  /** The place in the chain; NULL until the sequencer has chained the entry. */
  @Index({ unique: true })
  @Column({ type: "bigint", nullable: true, transformer: bigintNumber })
  position!: number | null;

  @Column(timestampColumn())
  occurredAt!: Date;

  @Column(idColumn({ nullable: true }))
  actorId!: string | null;

  @Column({ type: "simple-json" })
  actorRoles!: string[];

  @Column({ type: "varchar", length: 64 })
  action!: string;

  @Column({ type: "varchar", length: 32 })
  targetType!: string;

  @Column({ type: "varchar", length: 64 })
  targetId!: string;

  @Column({ type: "simple-json" })
  details!: Record<string, unknown>;

  @Column({ type: "varchar", length: 64 })
  requestId!: string;

  @Column({ type: "varchar", length: 64, nullable: true })
  prevHash!: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  hash!: string | null;
}
