import { DataSource } from "typeorm";

export interface SchemaDrift {
  up: string[];
  down: string[];
}

/** What TypeORM would change to make the database match the entities: empty when migrations are current. */
export async function schemaDrift(dataSource: DataSource): Promise<SchemaDrift> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: log.upQueries.map((q) => q.query),
    down: log.downQueries.map((q) => q.query).reverse(),
  };
}
