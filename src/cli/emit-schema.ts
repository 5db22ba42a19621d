import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { buildCallvaultSchema, ResolverContainer } from "../graphql/schema";
import { printCallvaultSchema } from "../graphql/print-schema";

export const SCHEMA_FILE = path.resolve(__dirname, "../../../schema/schema.graphql");

/** Writes schema/schema.graphql, the committed contract. */
async function main(): Promise<void> {
  const schema = await buildCallvaultSchema(new ResolverContainer());
  fs.writeFileSync(SCHEMA_FILE, printCallvaultSchema(schema));
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
