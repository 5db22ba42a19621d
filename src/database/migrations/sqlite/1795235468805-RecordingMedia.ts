import { MigrationInterface, QueryRunner } from "typeorm";

export class RecordingMedia1795235468805 implements MigrationInterface {
  name = "RecordingMedia1795235468805";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "recording_media" ("recordingId" varchar(36) PRIMARY KEY NOT NULL, "generation" integer NOT NULL, "status" varchar(16) NOT NULL, "objectKey" varchar(200) NOT NULL, "wrappedKey" varchar(128), "sizeBytes" integer, "sha256" varchar(64), "durationMs" integer, "updatedAt" datetime(3) NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "recording_media"`);
  }
}
