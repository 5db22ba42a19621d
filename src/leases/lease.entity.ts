import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { timestampColumn } from "../database/columns";

/**
 * A named, time-limited claim shared by every instance on the database: whoever holds an unexpired row
 * holds the lease. A holder that dies simply stops renewing, and the lease becomes free at `expiresAt`.
 */
@Entity({ name: "leases" })
export class LeaseEntity {
  @PrimaryColumn({ type: "varchar", length: 100 })
  name!: string;

  @Column({ type: "varchar", length: 100 })
  holderId!: string;

  @Index()
  @Column(timestampColumn())
  expiresAt!: Date;

  @Column(timestampColumn())
  acquiredAt!: Date;
}
