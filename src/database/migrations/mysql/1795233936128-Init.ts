import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795233936128 implements MigrationInterface {
  name = "Init1795233936128";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`audit_entries\` (\`position\` bigint NOT NULL, \`occurredAt\` datetime(3) NOT NULL, \`actorId\` varchar(36) NULL, \`actorRoles\` text NOT NULL, \`action\` varchar(64) NOT NULL, \`targetType\` varchar(32) NOT NULL, \`targetId\` varchar(64) NOT NULL, \`details\` text NOT NULL, \`requestId\` varchar(64) NOT NULL, \`prevHash\` varchar(64) NOT NULL, \`hash\` varchar(64) NOT NULL, INDEX \`IDX_35219f0750c4e54091ab46a160\` (\`action\`, \`position\`), INDEX \`IDX_3426e518626e2affdad2e44158\` (\`targetType\`, \`targetId\`), PRIMARY KEY (\`position\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`audit_head\` (\`id\` int NOT NULL, \`position\` bigint NOT NULL, \`hash\` varchar(64) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`calls\` (\`id\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`agentId\` varchar(36) NOT NULL, \`status\` varchar(16) NOT NULL, \`activeAgentKey\` varchar(36) NULL, \`externalRef\` varchar(64) NULL, \`startedAt\` datetime(3) NOT NULL, \`endedAt\` datetime(3) NULL, INDEX \`IDX_cb0e7569be99a652a09904818e\` (\`agentId\`, \`startedAt\`), INDEX \`IDX_59e3f6e7a308ed998f10bd2c47\` (\`customerId\`, \`startedAt\`), UNIQUE INDEX \`IDX_0042cbe4f321b4eaa5ac85dfaf\` (\`activeAgentKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`customers\` (\`id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`pause_holds\` (\`id\` varchar(36) NOT NULL, \`recordingId\` varchar(36) NOT NULL, \`intervalId\` varchar(36) NOT NULL, \`holderId\` varchar(36) NOT NULL, \`holdKey\` varchar(100) NOT NULL DEFAULT '', \`reason\` varchar(500) NULL, \`source\` varchar(16) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`releasedAt\` datetime(3) NULL, \`releasedById\` varchar(36) NULL, \`releaseKind\` varchar(16) NULL, \`activeKey\` varchar(200) NULL, INDEX \`IDX_e168eadf9aeab14ac22478ca88\` (\`recordingId\`, \`releasedAt\`), UNIQUE INDEX \`IDX_bd212fd0b103d1b8152258533b\` (\`activeKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`pause_intervals\` (\`id\` varchar(36) NOT NULL, \`recordingId\` varchar(36) NOT NULL, \`startedAt\` datetime(3) NOT NULL, \`endedAt\` datetime(3) NULL, \`startOffsetMs\` int NOT NULL, \`endOffsetMs\` int NULL, INDEX \`IDX_50fe9703aaeaf083133ec69e4a\` (\`recordingId\`, \`startedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`recordings\` (\`id\` varchar(36) NOT NULL, \`callId\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`agentId\` varchar(36) NOT NULL, \`state\` varchar(16) NOT NULL, \`sequence\` int NOT NULL, \`startedAt\` datetime(3) NOT NULL, \`endedAt\` datetime(3) NULL, \`durationMs\` int NULL, \`sizeBytes\` int NULL, \`sha256\` varchar(64) NULL, \`deletedAt\` datetime(3) NULL, \`deletedById\` varchar(36) NULL, \`deletionReason\` varchar(1000) NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_392734bff730c9aaabdfd202cd\` (\`customerId\`, \`startedAt\`), INDEX \`IDX_c06be5ec176ea5eb6630fac0b0\` (\`agentId\`, \`state\`), UNIQUE INDEX \`IDX_97c97f50f9f0a93f0e509bca2a\` (\`callId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_roles\` (\`userId\` varchar(36) NOT NULL, \`role\` varchar(32) NOT NULL, PRIMARY KEY (\`userId\`, \`role\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`users\` (\`id\` varchar(36) NOT NULL, \`email\` varchar(254) NOT NULL, \`displayName\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, UNIQUE INDEX \`IDX_97672ac88f789774dd47f7c8be\` (\`email\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_97672ac88f789774dd47f7c8be\` ON \`users\``);
    await queryRunner.query(`DROP TABLE \`users\``);
    await queryRunner.query(`DROP TABLE \`user_roles\``);
    await queryRunner.query(`DROP INDEX \`IDX_97c97f50f9f0a93f0e509bca2a\` ON \`recordings\``);
    await queryRunner.query(`DROP INDEX \`IDX_c06be5ec176ea5eb6630fac0b0\` ON \`recordings\``);
    await queryRunner.query(`DROP INDEX \`IDX_392734bff730c9aaabdfd202cd\` ON \`recordings\``);
    await queryRunner.query(`DROP TABLE \`recordings\``);
    await queryRunner.query(`DROP INDEX \`IDX_50fe9703aaeaf083133ec69e4a\` ON \`pause_intervals\``);
    await queryRunner.query(`DROP TABLE \`pause_intervals\``);
    await queryRunner.query(`DROP INDEX \`IDX_bd212fd0b103d1b8152258533b\` ON \`pause_holds\``);
    await queryRunner.query(`DROP INDEX \`IDX_e168eadf9aeab14ac22478ca88\` ON \`pause_holds\``);
    await queryRunner.query(`DROP TABLE \`pause_holds\``);
    await queryRunner.query(`DROP TABLE \`customers\``);
    await queryRunner.query(`DROP INDEX \`IDX_0042cbe4f321b4eaa5ac85dfaf\` ON \`calls\``);
    await queryRunner.query(`DROP INDEX \`IDX_59e3f6e7a308ed998f10bd2c47\` ON \`calls\``);
    await queryRunner.query(`DROP INDEX \`IDX_cb0e7569be99a652a09904818e\` ON \`calls\``);
    await queryRunner.query(`DROP TABLE \`calls\``);
    await queryRunner.query(`DROP TABLE \`audit_head\``);
    await queryRunner.query(`DROP INDEX \`IDX_3426e518626e2affdad2e44158\` ON \`audit_entries\``);
    await queryRunner.query(`DROP INDEX \`IDX_35219f0750c4e54091ab46a160\` ON \`audit_entries\``);
    await queryRunner.query(`DROP TABLE \`audit_entries\``);
  }
}
