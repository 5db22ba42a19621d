import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";
import { RecordingState } from "./recording-state";

@Entity({ name: "recordings" })
@Index(["agentId", "state"])
@Index(["customerId", "startedAt"])
export class RecordingEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column(idColumn({ unique: true }))
  callId!: string;

  @Column(idColumn())
  customerId!: string;

  @Column(idColumn())
  agentId!: string;

  @Column({ type: "varchar", length: 16 })
  state!: RecordingState;

  /** Incremented by every change to the state or the active holds; guards every transition. */
  @Column({ type: "int" })
  sequence!: number;

  @Column(timestampColumn())
  startedAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  endedAt!: Date | null;

  @Column({ type: "int", nullable: true })
  durationMs!: number | null;

  @Column({ type: "int", nullable: true })
  sizeBytes!: number | null;

  /** SHA-256 (hex) of the MP3; kept after deletion for the deletion receipt. */
  @Column({ type: "varchar", length: 64, nullable: true })
  sha256!: string | null;

  @Column(timestampColumn({ nullable: true }))
  deletedAt!: Date | null;

  @Column(idColumn({ nullable: true }))
  deletedById!: string | null;

  @Column({ type: "varchar", length: 1000, nullable: true })
  deletionReason!: string | null;

  @Column(timestampColumn())
  updatedAt!: Date;
}
