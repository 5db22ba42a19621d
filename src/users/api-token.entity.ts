import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { idColumn, PRIMARY_ID, timestampColumn } from "../database/columns";

/**
 * A long-lived credential an administrator issues to an integration (HTTP Basic: e-mail + token).
 * Only the SHA-256 of the token is kept; the token itself is shown once, when it is issued.
 */
@Entity({ name: "api_tokens" })
export class ApiTokenEntity {
  @PrimaryColumn(PRIMARY_ID)
  id!: string;

  @Index()
  @Column(idColumn())
  userId!: string;

  /** Hex SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough and lookups stay indexed. */
  @Column({ type: "varchar", length: 64, unique: true })
  tokenHash!: string;

  @Column({ type: "varchar", length: 100 })
  label!: string;

  @Column(timestampColumn())
  createdAt!: Date;
}
