import { MigrationInterface, QueryRunner } from "typeorm";

export class Lease1795980643826 implements MigrationInterface {
  name = "Lease1795980643826";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "leases" ("name" varchar(100) PRIMARY KEY NOT NULL, "holderId" varchar(100) NOT NULL, "expiresAt" datetime(3) NOT NULL, "acquiredAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_18f4f2861598ef4f0afa66c597" ON "leases" ("expiresAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_18f4f2861598ef4f0afa66c597"`);
    await queryRunner.query(`DROP TABLE "leases"`);
  }
}
