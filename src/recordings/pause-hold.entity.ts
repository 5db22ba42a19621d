import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";
import { ControlSource, HoldReleaseKind } from "./recording-state";

/**
 * A pause held by one requester (user + hold key). The recording stays paused while any hold is active,
 * so an integration's hold and the agent's own never undo each other.
 */
@Entity({ name: "pause_holds" })
@Index(["recordingId", "releasedAt"])
export class PauseHoldEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column(idColumn())
  recordingId!: string;

  @Column(idColumn())
  intervalId!: string;

  @Column(idColumn())
  holderId!: string;

  /** "" when the holder gave no key. */
  @Column({ type: "varchar", length: 100, default: "" })
  holdKey!: string;

  @Column({ type: "varchar", length: 500, nullable: true })
  reason!: string | null;

  @Column({ type: "varchar", length: 16 })
  source!: ControlSource;

  @Column(timestampColumn())
  createdAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  releasedAt!: Date | null;

  @Column(idColumn({ nullable: true }))
  releasedById!: string | null;

  @Column({ type: "varchar", length: 16, nullable: true })
  releaseKind!: HoldReleaseKind | null;

  /** recordingId/holderId/holdKey while active, NULL once released: at most one active hold per holder and key. */
  @Column({ type: "varchar", length: 200, nullable: true, unique: true })
  activeKey!: string | null;
}
