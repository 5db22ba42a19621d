import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";

export enum LegalHoldScope {
  RECORDING = "RECORDING",
  CUSTOMER = "CUSTOMER",
}

/** A hold on one recording or on every recording of a customer; active until released. Never deleted. */
@Entity({ name: "legal_holds" })
@Index(["recordingId", "releasedAt"])
@Index(["customerId", "releasedAt"])
export class LegalHoldEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column({ type: "varchar", length: 16 })
  scope!: LegalHoldScope;

  /** Set for a RECORDING hold only. */
  @Column(idColumn({ nullable: true }))
  recordingId!: string | null;

  /** The held customer, or the held recording's customer. */
  @Column(idColumn())
  customerId!: string;

  @Column({ type: "varchar", length: 1000 })
  reason!: string;

  /** The case or matter reference, when given. */
  @Column({ type: "varchar", length: 200, nullable: true })
  matter!: string | null;

  @Column(idColumn())
  placedById!: string;

  @Column(timestampColumn())
  placedAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  releasedAt!: Date | null;

  @Column(idColumn({ nullable: true }))
  releasedById!: string | null;

  @Column({ type: "varchar", length: 1000, nullable: true })
  releaseReason!: string | null;
}
