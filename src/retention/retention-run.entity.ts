import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { PRIMARY_ID, timestampColumn } from "../database/columns";

export enum RetentionRunStatus {
  RUNNING = "RUNNING",
  FINISHED = "FINISHED",
  /** Its instance died or lost the lease; the next run carries on where it stopped. */
  INTERRUPTED = "INTERRUPTED",
  FAILED = "FAILED",
}

/** One pass of the retention job; its counters are written in the same transaction as each batch. */
@Entity({ name: "retention_runs" })
@Index(["startedAt"])
export class RetentionRunEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column({ type: "varchar", length: 100 })
  holderId!: string;

  @Column({ type: "varchar", length: 16 })
  status!: RetentionRunStatus;

  @Column(timestampColumn())
  startedAt!: Date;

  @Column(timestampColumn())
  updatedAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  finishedAt!: Date | null;

  @Column({ type: "int" })
  batches!: number;

  @Column({ type: "int" })
  expired!: number;

  /** Expired by policy but kept by a legal hold (counted when met inside a batch). */
  @Column({ type: "int" })
  held!: number;
}
