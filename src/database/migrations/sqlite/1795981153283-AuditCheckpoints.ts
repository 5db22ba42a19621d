import { MigrationInterface, QueryRunner } from "typeorm";

export class AuditCheckpoints1795981153283 implements MigrationInterface {
  name = "AuditCheckpoints1795981153283";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_checkpoints" ("position" bigint PRIMARY KEY NOT NULL, "hash" varchar(64) NOT NULL, "signedAt" datetime(3) NOT NULL, "algorithm" varchar(16) NOT NULL, "keyId" varchar(16) NOT NULL, "signature" varchar(128) NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_checkpoints"`);
  }
}
