import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Audit entries are inserted unchained (an id, no position or hashes) and chained by the sequencer.
 * Existing entries are chained already; their id is their position, zero-padded. SQLite rebuilds the table.
 */
export class AuditSequencer1795981689022 implements MigrationInterface {
  name = "AuditSequencer1795981689022";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "temporary_audit_entries" ("id" varchar(36) PRIMARY KEY NOT NULL, "position" bigint, "occurredAt" datetime(3) NOT NULL, "actorId" varchar(36), "actorRoles" text NOT NULL, "action" varchar(64) NOT NULL, "targetType" varchar(32) NOT NULL, "targetId" varchar(64) NOT NULL, "details" text NOT NULL, "requestId" varchar(64) NOT NULL, "prevHash" varchar(64), "hash" varchar(64))`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_audit_entries" ("id", "position", "occurredAt", "actorId", "actorRoles", "action", "targetType", "targetId", "details", "requestId", "prevHash", "hash") SELECT printf('%036d', "position"), "position", "occurredAt", "actorId", "actorRoles", "action", "targetType", "targetId", "details", "requestId", "prevHash", "hash" FROM "audit_entries"`,
    );
    await queryRunner.query(`DROP TABLE "audit_entries"`);
    await queryRunner.query(`ALTER TABLE "temporary_audit_entries" RENAME TO "audit_entries"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_62f39557f5295d465ae5252196" ON "audit_entries" ("position") `);
    await queryRunner.query(`CREATE INDEX "IDX_35219f0750c4e54091ab46a160" ON "audit_entries" ("action", "position") `);
    await queryRunner.query(`CREATE INDEX "IDX_3426e518626e2affdad2e44158" ON "audit_entries" ("targetType", "targetId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "temporary_audit_entries" ("position" bigint PRIMARY KEY NOT NULL, "occurredAt" datetime(3) NOT NULL, "actorId" varchar(36), "actorRoles" text NOT NULL, "action" varchar(64) NOT NULL, "targetType" varchar(32) NOT NULL, "targetId" varchar(64) NOT NULL, "details" text NOT NULL, "requestId" varchar(64) NOT NULL, "prevHash" varchar(64) NOT NULL, "hash" varchar(64) NOT NULL)`,
    );
    // The old table cannot hold an entry without a position: unchained entries do not survive going back.
    await queryRunner.query(`INSERT INTO "temporary_audit_entries" ("position", "occurredAt", "actorId", "actorRoles", "action", "targetType", "targetId", "details", "requestId", "prevHash", "hash") SELECT "position", "occurredAt", "actorId", "actorRoles", "action", "targetType", "targetId", "details", "requestId", "prevHash", "hash" FROM "audit_entries" WHERE "position" IS NOT NULL`);
    await queryRunner.query(`DROP TABLE "audit_entries"`);
    await queryRunner.query(`ALTER TABLE "temporary_audit_entries" RENAME TO "audit_entries"`);
    await queryRunner.query(`CREATE INDEX "IDX_35219f0750c4e54091ab46a160" ON "audit_entries" ("action", "position") `);
    await queryRunner.query(`CREATE INDEX "IDX_3426e518626e2affdad2e44158" ON "audit_entries" ("targetType", "targetId") `);
  }
}
