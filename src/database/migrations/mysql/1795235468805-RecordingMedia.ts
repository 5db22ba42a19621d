import { MigrationInterface, QueryRunner } from "typeorm";

export class RecordingMedia1795235468805 implements MigrationInterface {
  name = "RecordingMedia1795235468805";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`recording_media\` (\`recordingId\` varchar(36) NOT NULL, \`generation\` int NOT NULL, \`status\` varchar(16) NOT NULL, \`objectKey\` varchar(200) NOT NULL, \`wrappedKey\` varchar(128) NULL, \`sizeBytes\` int NULL, \`sha256\` varchar(64) NULL, \`durationMs\` int NULL, \`updatedAt\` datetime(3) NOT NULL, PRIMARY KEY (\`recordingId\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`recording_media\``);
  }
}
