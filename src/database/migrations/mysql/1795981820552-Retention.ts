import { MigrationInterface, QueryRunner } from "typeorm";

export class Retention1795981820552 implements MigrationInterface {
  name = "Retention1795981820552";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`retention_policies\` (\`scope\` varchar(36) NOT NULL, \`customerId\` varchar(36) NULL, \`days\` int NULL, \`setById\` varchar(36) NOT NULL, \`setAt\` datetime(3) NOT NULL, PRIMARY KEY (\`scope\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`retention_runs\` (\`id\` varchar(36) NOT NULL, \`holderId\` varchar(100) NOT NULL, \`status\` varchar(16) NOT NULL, \`startedAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, \`finishedAt\` datetime(3) NULL, \`batches\` int NOT NULL, \`expired\` int NOT NULL, \`held\` int NOT NULL, INDEX \`IDX_26f2b1955b59b15f0cdcb0543d\` (\`startedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_26f2b1955b59b15f0cdcb0543d\` ON \`retention_runs\``);
    await queryRunner.query(`DROP TABLE \`retention_runs\``);
    await queryRunner.query(`DROP TABLE \`retention_policies\``);
  }
}
