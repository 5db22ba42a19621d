import { Column, Entity, PrimaryColumn } from "typeorm";
import { idColumn, timestampColumn } from "../database/columns";

/** The global default's key in `scope`; a customer's override is keyed by the customer id. */
export const GLOBAL_SCOPE = "*";

/** How long recordings are kept: the global default, or one customer's override. No row: keep forever. */
@Entity({ name: "retention_policies" })
export class RetentionPolicyEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  scope!: string;

  @Column(idColumn({ nullable: true }))
  customerId!: string | null;

  /** null: keep forever. */
  @Column({ type: "int", nullable: true })
  days!: number | null;

  @Column(idColumn())
  setById!: string;

  @Column(timestampColumn())
  setAt!: Date;
}
