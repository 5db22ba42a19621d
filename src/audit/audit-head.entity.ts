import { Column, Entity, PrimaryColumn } from "typeorm";

/** The single row every append locks, which serializes the chain across connections and instances. */
@Entity({ name: "audit_head" })
export class AuditHeadEntity {
  @PrimaryColumn({ type: "int" })
  id!: number;

  @Column({ type: "bigint", transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  position!: number;

  @Column({ type: "varchar", length: 64 })
  hash!: string;
}
