import { openDataSource } from "../src/database/data-source";
import { schemaDrift } from "../src/database/schema-drift";
import { createTestDatabase } from "./support/test-database";

describe("versioned migrations", () => {
  it("build exactly the schema the entities describe, and roll back cleanly", async () => {
    const database = await createTestDatabase();
    const dataSource = await openDataSource(database.config);
    try {
      const applied = await dataSource.runMigrations({ transaction: "each" });
      expect(applied.length).toBeGreaterThan(0);
      expect(await schemaDrift(dataSource)).toEqual({ up: [], down: [] });
      expect(await dataSource.runMigrations()).toEqual([]);
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: "each" });
      const runner = dataSource.createQueryRunner();
      const remaining = [];
      for (const { tableName } of dataSource.entityMetadatas) if (await runner.hasTable(tableName)) remaining.push(tableName);
      await runner.release();
      expect(remaining).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
