import { Column, Entity, PrimaryColumn } from "typeorm";
import { PRIMARY_ID, timestampColumn } from "../database/columns";

@Entity({ name: "customers" })
export class CustomerEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column(timestampColumn())
  createdAt!: Date;
}
