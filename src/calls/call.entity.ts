import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";

export enum CallStatus {
  ACTIVE = "ACTIVE",
  ENDED = "ENDED",
}

@Entity({ name: "calls" })
@Index(["customerId", "startedAt"])
@Index(["agentId", "startedAt"])
export class CallEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column(idColumn())
  customerId!: string;

  @Column(idColumn())
  agentId!: string;

  @Column({ type: "varchar", length: 16 })
  status!: CallStatus;

  /** The agent's id while the call is active, NULL after: a unique index keeps one live call per agent. */
  @Column(idColumn({ nullable: true, unique: true }))
  activeAgentKey!: string | null;

  /** The telephony provider's id for the call (e.g. a Twilio CallSid). */
  @Column({ type: "varchar", length: 64, nullable: true })
  externalRef!: string | null;

  @Column(timestampColumn())
  startedAt!: Date;

  @Column(timestampColumn({ nullable: true }))
  endedAt!: Date | null;
}
