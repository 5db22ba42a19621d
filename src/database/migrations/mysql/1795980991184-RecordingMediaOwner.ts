import { MigrationInterface, QueryRunner } from "typeorm";

export class RecordingMediaOwner1795980991184 implements MigrationInterface {
  name = "RecordingMediaOwner1795980991184";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`recording_media\` ADD \`ownerInstanceId\` varchar(64) NULL`);
    await queryRunner.query(`ALTER TABLE \`recording_media\` ADD \`uploadId\` varchar(64) NULL`);
    await queryRunner.query(`ALTER TABLE \`recording_media\` ADD \`streamStartedAt\` datetime(3) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`recording_media\` DROP COLUMN \`streamStartedAt\``);
    await queryRunner.query(`ALTER TABLE \`recording_media\` DROP COLUMN \`uploadId\``);
    await queryRunner.query(`ALTER TABLE \`recording_media\` DROP COLUMN \`ownerInstanceId\``);
  }
}
