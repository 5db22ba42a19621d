import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, timestampColumn } from "../database/columns";

/** Append-only and hash-chained: each entry stores the previous entry's hash and its own. */
@Entity({ name: "audit_entries" })
@Index(["targetType", "targetId"])
@Index(["action", "position"])
export class AuditEntryEntity {
  @PrimaryColumn({ type: "bigint", transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  position!: number;

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

  @Column({ type: "varchar", length: 64 })
  prevHash!: string;

  @Column({ type: "varchar", length: 64 })
  hash!: string;
}
