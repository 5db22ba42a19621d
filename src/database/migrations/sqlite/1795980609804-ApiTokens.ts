import { MigrationInterface, QueryRunner } from "typeorm";

export class ApiTokens1795980609804 implements MigrationInterface {
  name = "ApiTokens1795980609804";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_tokens" ("id" varchar(36) PRIMARY KEY NOT NULL, "userId" varchar(36) NOT NULL, "tokenHash" varchar(64) NOT NULL, "label" varchar(100) NOT NULL, "createdAt" datetime(3) NOT NULL, CONSTRAINT "UQ_cdac8e064e6e9c2e0835d1c1b86" UNIQUE ("tokenHash"))`);
    await queryRunner.query(`CREATE INDEX "IDX_2a2ce819bd75cc0193bfb2692b" ON "api_tokens" ("userId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_2a2ce819bd75cc0193bfb2692b"`);
    await queryRunner.query(`DROP TABLE "api_tokens"`);
  }
}
