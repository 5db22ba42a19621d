import { Column, Entity, PrimaryColumn } from "typeorm";
import { PRIMARY_ID, timestampColumn } from "../database/columns";

export enum MediaStatus {
  /** Audio is being ingested into an upload that is not yet visible. */
  WRITING = "WRITING",
  /** The encrypted MP3 is committed under objectKey. */
  STORED = "STORED",
  /** The data key was destroyed; the object is being (or has been) removed. */
  SHREDDED = "SHREDDED",
  /** Ingest ended without audio worth keeping (crash, no frames); nothing is stored. */
  ABANDONED = "ABANDONED",
}

/** Where a recording's audio lives and the key that opens it. Deleting the wrapped key shreds every copy. */
@Entity({ name: "recording_media" })
export class RecordingMediaEntity {
  @PrimaryColumn(PRIMARY_ID)
  recordingId!: string;

  /** Bumped by each redaction: a new object under a new key replaces the old one. */
  @Column({ type: "int" })
  generation!: number;

  @Column({ type: "varchar", length: 16 })
  status!: MediaStatus;

  @Column({ type: "varchar", length: 200 })
  objectKey!: string;

  /** The data key wrapped by the master key; NULL once destroyed. */
  @Column({ type: "varchar", length: 128, nullable: true })
  wrappedKey!: string | null;

  @Column({ type: "int", nullable: true })
  sizeBytes!: number | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  sha256!: string | null;

  @Column({ type: "int", nullable: true })
  durationMs!: number | null;

  @Column(timestampColumn())
  updatedAt!: Date;

  /** The instance writing the audio (WRITING): while its liveness lease holds, no other instance touches the upload. */
  @Column({ type: "varchar", length: 64, nullable: true })
  ownerInstanceId!: string | null;

  /** The unfinished upload behind a WRITING row, so a crash's audio can be resumed or salvaged. */
  @Column({ type: "varchar", length: 64, nullable: true })
  uploadId!: string | null;

  /** When the media stream began: stream time 0, which pauses (wall-clock) are placed against. */
  @Column(timestampColumn({ nullable: true }))
  streamStartedAt!: Date | null;
}
