import { MigrationInterface, QueryRunner } from "typeorm";

export class LegalHolds1795980719909 implements MigrationInterface {
  name = "LegalHolds1795980719909";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "legal_holds" ("id" varchar(36) PRIMARY KEY NOT NULL, "scope" varchar(16) NOT NULL, "recordingId" varchar(36), "customerId" varchar(36) NOT NULL, "reason" varchar(1000) NOT NULL, "matter" varchar(200), "placedById" varchar(36) NOT NULL, "placedAt" datetime(3) NOT NULL, "releasedAt" datetime(3), "releasedById" varchar(36), "releaseReason" varchar(1000))`);
    await queryRunner.query(`CREATE INDEX "IDX_9dcdb450f26db3d8ef566f680f" ON "legal_holds" ("customerId", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "IDX_1fe079f50f6ef8d4f08dbac0b8" ON "legal_holds" ("recordingId", "releasedAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_1fe079f50f6ef8d4f08dbac0b8"`);
    await queryRunner.query(`DROP INDEX "IDX_9dcdb450f26db3d8ef566f680f"`);
    await queryRunner.query(`DROP TABLE "legal_holds"`);
  }
}
