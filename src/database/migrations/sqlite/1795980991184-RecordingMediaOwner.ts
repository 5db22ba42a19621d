import { MigrationInterface, QueryRunner } from "typeorm";

export class RecordingMediaOwner1795980991184 implements MigrationInterface {
  name = "RecordingMediaOwner1795980991184";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "temporary_recording_media" ("recordingId" varchar(36) PRIMARY KEY NOT NULL, "generation" integer NOT NULL, "status" varchar(16) NOT NULL, "objectKey" varchar(200) NOT NULL, "wrappedKey" varchar(128), "sizeBytes" integer, "sha256" varchar(64), "durationMs" integer, "updatedAt" datetime(3) NOT NULL, "ownerInstanceId" varchar(64), "uploadId" varchar(64), "streamStartedAt" datetime(3))`);
    await queryRunner.query(`INSERT INTO "temporary_recording_media"("recordingId", "generation", "status", "objectKey", "wrappedKey", "sizeBytes", "sha256", "durationMs", "updatedAt") SELECT "recordingId", "generation", "status", "objectKey", "wrappedKey", "sizeBytes", "sha256", "durationMs", "updatedAt" FROM "recording_media"`);
    await queryRunner.query(`DROP TABLE "recording_media"`);
    await queryRunner.query(`ALTER TABLE "temporary_recording_media" RENAME TO "recording_media"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "recording_media" RENAME TO "temporary_recording_media"`);
    await queryRunner.query(`CREATE TABLE "recording_media" ("recordingId" varchar(36) PRIMARY KEY NOT NULL, "generation" integer NOT NULL, "status" varchar(16) NOT NULL, "objectKey" varchar(200) NOT NULL, "wrappedKey" varchar(128), "sizeBytes" integer, "sha256" varchar(64), "durationMs" integer, "updatedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "recording_media"("recordingId", "generation", "status", "objectKey", "wrappedKey", "sizeBytes", "sha256", "durationMs", "updatedAt") SELECT "recordingId", "generation", "status", "objectKey", "wrappedKey", "sizeBytes", "sha256", "durationMs", "updatedAt" FROM "temporary_recording_media"`);
    await queryRunner.query(`DROP TABLE "temporary_recording_media"`);
  }
}
