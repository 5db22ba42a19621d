import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795233936128 implements MigrationInterface {
  name = "Init1795233936128";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_entries" ("position" bigint PRIMARY KEY NOT NULL, "occurredAt" datetime(3) NOT NULL, "actorId" varchar(36), "actorRoles" text NOT NULL, "action" varchar(64) NOT NULL, "targetType" varchar(32) NOT NULL, "targetId" varchar(64) NOT NULL, "details" text NOT NULL, "requestId" varchar(64) NOT NULL, "prevHash" varchar(64) NOT NULL, "hash" varchar(64) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_35219f0750c4e54091ab46a160" ON "audit_entries" ("action", "position") `);
    await queryRunner.query(`CREATE INDEX "IDX_3426e518626e2affdad2e44158" ON "audit_entries" ("targetType", "targetId") `);
    await queryRunner.query(`CREATE TABLE "audit_head" ("id" integer PRIMARY KEY NOT NULL, "position" bigint NOT NULL, "hash" varchar(64) NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "calls" ("id" varchar(36) PRIMARY KEY NOT NULL, "customerId" varchar(36) NOT NULL, "agentId" varchar(36) NOT NULL, "status" varchar(16) NOT NULL, "activeAgentKey" varchar(36), "externalRef" varchar(64), "startedAt" datetime(3) NOT NULL, "endedAt" datetime(3), CONSTRAINT "UQ_0042cbe4f321b4eaa5ac85dfaf8" UNIQUE ("activeAgentKey"))`);
    await queryRunner.query(`CREATE INDEX "IDX_cb0e7569be99a652a09904818e" ON "calls" ("agentId", "startedAt") `);
    await queryRunner.query(`CREATE INDEX "IDX_59e3f6e7a308ed998f10bd2c47" ON "calls" ("customerId", "startedAt") `);
    await queryRunner.query(`CREATE TABLE "customers" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(200) NOT NULL, "createdAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "pause_holds" ("id" varchar(36) PRIMARY KEY NOT NULL, "recordingId" varchar(36) NOT NULL, "intervalId" varchar(36) NOT NULL, "holderId" varchar(36) NOT NULL, "holdKey" varchar(100) NOT NULL DEFAULT (''), "reason" varchar(500), "source" varchar(16) NOT NULL, "createdAt" datetime(3) NOT NULL, "releasedAt" datetime(3), "releasedById" varchar(36), "releaseKind" varchar(16), "activeKey" varchar(200), CONSTRAINT "UQ_bd212fd0b103d1b8152258533bf" UNIQUE ("activeKey"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e168eadf9aeab14ac22478ca88" ON "pause_holds" ("recordingId", "releasedAt") `);
    await queryRunner.query(`CREATE TABLE "pause_intervals" ("id" varchar(36) PRIMARY KEY NOT NULL, "recordingId" varchar(36) NOT NULL, "startedAt" datetime(3) NOT NULL, "endedAt" datetime(3), "startOffsetMs" integer NOT NULL, "endOffsetMs" integer)`);
    await queryRunner.query(`CREATE INDEX "IDX_50fe9703aaeaf083133ec69e4a" ON "pause_intervals" ("recordingId", "startedAt") `);
    await queryRunner.query(`CREATE TABLE "recordings" ("id" varchar(36) PRIMARY KEY NOT NULL, "callId" varchar(36) NOT NULL, "customerId" varchar(36) NOT NULL, "agentId" varchar(36) NOT NULL, "state" varchar(16) NOT NULL, "sequence" integer NOT NULL, "startedAt" datetime(3) NOT NULL, "endedAt" datetime(3), "durationMs" integer, "sizeBytes" integer, "sha256" varchar(64), "deletedAt" datetime(3), "deletedById" varchar(36), "deletionReason" varchar(1000), "updatedAt" datetime(3) NOT NULL, CONSTRAINT "UQ_97c97f50f9f0a93f0e509bca2ab" UNIQUE ("callId"))`);
    await queryRunner.query(`CREATE INDEX "IDX_392734bff730c9aaabdfd202cd" ON "recordings" ("customerId", "startedAt") `);
    await queryRunner.query(`CREATE INDEX "IDX_c06be5ec176ea5eb6630fac0b0" ON "recordings" ("agentId", "state") `);
    await queryRunner.query(`CREATE TABLE "user_roles" ("userId" varchar(36) NOT NULL, "role" varchar(32) NOT NULL, PRIMARY KEY ("userId", "role"))`);
    await queryRunner.query(`CREATE TABLE "users" ("id" varchar(36) PRIMARY KEY NOT NULL, "email" varchar(254) NOT NULL, "displayName" varchar(200) NOT NULL, "createdAt" datetime(3) NOT NULL, CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP TABLE "user_roles"`);
    await queryRunner.query(`DROP INDEX "IDX_c06be5ec176ea5eb6630fac0b0"`);
    await queryRunner.query(`DROP INDEX "IDX_392734bff730c9aaabdfd202cd"`);
    await queryRunner.query(`DROP TABLE "recordings"`);
    await queryRunner.query(`DROP INDEX "IDX_50fe9703aaeaf083133ec69e4a"`);
    await queryRunner.query(`DROP TABLE "pause_intervals"`);
    await queryRunner.query(`DROP INDEX "IDX_e168eadf9aeab14ac22478ca88"`);
    await queryRunner.query(`DROP TABLE "pause_holds"`);
    await queryRunner.query(`DROP TABLE "customers"`);
    await queryRunner.query(`DROP INDEX "IDX_59e3f6e7a308ed998f10bd2c47"`);
    await queryRunner.query(`DROP INDEX "IDX_cb0e7569be99a652a09904818e"`);
    await queryRunner.query(`DROP TABLE "calls"`);
    await queryRunner.query(`DROP TABLE "audit_head"`);
    await queryRunner.query(`DROP INDEX "IDX_3426e518626e2affdad2e44158"`);
    await queryRunner.query(`DROP INDEX "IDX_35219f0750c4e54091ab46a160"`);
    await queryRunner.query(`DROP TABLE "audit_entries"`);
  }
}
