import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Audit entries are inserted unchained (an id, no position or hashes) and chained by the sequencer.
 * Existing entries are chained already; their id is their position, zero-padded.
 */
export class AuditSequencer1795981689022 implements MigrationInterface {
  name = "AuditSequencer1795981689022";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`audit_entries\` ADD \`id\` varchar(36) NULL`);
    await queryRunner.query(`UPDATE \`audit_entries\` SET \`id\` = LPAD(\`position\`, 36, '0')`);
    await queryRunner.query(
      `ALTER TABLE \`audit_entries\` DROP PRIMARY KEY, MODIFY \`id\` varchar(36) NOT NULL, ADD PRIMARY KEY (\`id\`), MODIFY \`position\` bigint NULL, MODIFY \`prevHash\` varchar(64) NULL, MODIFY \`hash\` varchar(64) NULL, ADD UNIQUE INDEX \`IDX_62f39557f5295d465ae5252196\` (\`position\`)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The old table cannot hold an entry without a position: unchained entries do not survive going back.
    await queryRunner.query(`DELETE FROM \`audit_entries\` WHERE \`position\` IS NULL`);
    await queryRunner.query(
      `ALTER TABLE \`audit_entries\` DROP INDEX \`IDX_62f39557f5295d465ae5252196\`, DROP PRIMARY KEY, DROP COLUMN \`id\`, MODIFY \`position\` bigint NOT NULL, MODIFY \`prevHash\` varchar(64) NOT NULL, MODIFY \`hash\` varchar(64) NOT NULL, ADD PRIMARY KEY (\`position\`)`,
    );
  }
}
