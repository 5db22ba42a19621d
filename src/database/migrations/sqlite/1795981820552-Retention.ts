import { MigrationInterface, QueryRunner } from "typeorm";

export class Retention1795981820552 implements MigrationInterface {
  name = "Retention1795981820552";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "retention_policies" ("scope" varchar(36) PRIMARY KEY NOT NULL, "customerId" varchar(36), "days" integer, "setById" varchar(36) NOT NULL, "setAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "retention_runs" ("id" varchar(36) PRIMARY KEY NOT NULL, "holderId" varchar(100) NOT NULL, "status" varchar(16) NOT NULL, "startedAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "finishedAt" datetime(3), "batches" integer NOT NULL, "expired" integer NOT NULL, "held" integer NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_26f2b1955b59b15f0cdcb0543d" ON "retention_runs" ("startedAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_26f2b1955b59b15f0cdcb0543d"`);
    await queryRunner.query(`DROP TABLE "retention_runs"`);
    await queryRunner.query(`DROP TABLE "retention_policies"`);
  }
}
