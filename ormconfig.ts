import "reflect-metadata";
import { loadConfig } from "./src/config/config";
import { createDataSource } from "./src/database/data-source";

/** The TypeORM CLI's data source, from the same validated configuration the service uses. */
export default createDataSource(loadConfig().database);
