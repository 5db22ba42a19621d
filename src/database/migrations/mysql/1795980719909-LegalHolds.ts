import { MigrationInterface, QueryRunner } from "typeorm";

export class LegalHolds1795980719909 implements MigrationInterface {
  name = "LegalHolds1795980719909";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`legal_holds\` (\`id\` varchar(36) NOT NULL, \`scope\` varchar(16) NOT NULL, \`recordingId\` varchar(36) NULL, \`customerId\` varchar(36) NOT NULL, \`reason\` varchar(1000) NOT NULL, \`matter\` varchar(200) NULL, \`placedById\` varchar(36) NOT NULL, \`placedAt\` datetime(3) NOT NULL, \`releasedAt\` datetime(3) NULL, \`releasedById\` varchar(36) NULL, \`releaseReason\` varchar(1000) NULL, INDEX \`IDX_9dcdb450f26db3d8ef566f680f\` (\`customerId\`, \`releasedAt\`), INDEX \`IDX_1fe079f50f6ef8d4f08dbac0b8\` (\`recordingId\`, \`releasedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_1fe079f50f6ef8d4f08dbac0b8\` ON \`legal_holds\``);
    await queryRunner.query(`DROP INDEX \`IDX_9dcdb450f26db3d8ef566f680f\` ON \`legal_holds\``);
    await queryRunner.query(`DROP TABLE \`legal_holds\``);
  }
}
