import { Column, Entity, PrimaryColumn } from "typeorm";
import { timestampColumn } from "../database/columns";

/** A signed statement "the chain had `position` entries and its newest hash was `hash`", made periodically. */
@Entity({ name: "audit_checkpoints" })
export class AuditCheckpointEntity {
  @PrimaryColumn({ type: "bigint", transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  position!: number;

  @Column({ type: "varchar", length: 64 })
  hash!: string;

  @Column(timestampColumn())
  signedAt!: Date;

  @Column({ type: "varchar", length: 16 })
  algorithm!: string;

  /** Fingerprint of the public key: the first 16 hex digits of its SHA-256. */
  @Column({ type: "varchar", length: 16 })
  keyId!: string;

  /** Base64url Ed25519 signature over `checkpointMessage`. */
  @Column({ type: "varchar", length: 128 })
  signature!: string;
}
