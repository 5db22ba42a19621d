import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";

/** One span during which the recording was paused; kept forever, even after the audio is deleted. */
@Entity({ name: "pause_intervals" })
@Index(["recordingId", "startedAt"])
export class PauseIntervalEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column(idColumn())
  recordingId!: string;

  @Column(timestampColumn())
  startedAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  endedAt!: Date | null;

  /** Milliseconds from the start of the recording to the pause. */
  @Column({ type: "int" })
  startOffsetMs!: number;

  @Column({ type: "int", nullable: true })
  endOffsetMs!: number | null;
}
