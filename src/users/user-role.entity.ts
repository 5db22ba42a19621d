import { Entity, PrimaryColumn } from "typeorm";
import { Role } from "../auth/role";
import { PRIMARY_ID } from "../database/columns";

/** Roles live in the database so that a change takes effect on the next request, whatever a token says. */
@Entity({ name: "user_roles" })
export class UserRoleEntity {
  @PrimaryColumn(PRIMARY_ID)
  userId!: string;

  @PrimaryColumn({ type: "varchar", length: 32 })
  role!: Role;
}
