import { Column, Entity, PrimaryColumn } from "typeorm";
import { PRIMARY_ID, timestampColumn } from "../database/columns";

@Entity({ name: "users" })
export class UserEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Column({ type: "varchar", length: 254, unique: true })
  email!: string;

  @Column({ type: "varchar", length: 200 })
  displayName!: string;

  @Column(timestampColumn())
  createdAt!: Date;
}
