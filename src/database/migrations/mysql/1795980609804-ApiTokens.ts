import { MigrationInterface, QueryRunner } from "typeorm";

export class ApiTokens1795980609804 implements MigrationInterface {
  name = "ApiTokens1795980609804";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`api_tokens\` (\`id\` varchar(36) NOT NULL, \`userId\` varchar(36) NOT NULL, \`tokenHash\` varchar(64) NOT NULL, \`label\` varchar(100) NOT NULL, \`createdAt\` datetime(3) NOT NULL, INDEX \`IDX_2a2ce819bd75cc0193bfb2692b\` (\`userId\`), UNIQUE INDEX \`IDX_cdac8e064e6e9c2e0835d1c1b8\` (\`tokenHash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_cdac8e064e6e9c2e0835d1c1b8\` ON \`api_tokens\``);
    await queryRunner.query(`DROP INDEX \`IDX_2a2ce819bd75cc0193bfb2692b\` ON \`api_tokens\``);
    await queryRunner.query(`DROP TABLE \`api_tokens\``);
  }
}
