import { buildSchema, parse, validate } from "graphql";
import fs from "node:fs";
import path from "node:path";
import { buildCallvaultSchema, ResolverContainer } from "../src/graphql/schema";
import { printCallvaultSchema } from "../src/graphql/print-schema";

describe("schema/schema.graphql, the committed contract", () => {
  it("matches the schema the code builds (run `npm run schema:emit` after changing the API)", async () => {
    const committed = fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8");
    const built = printCallvaultSchema(await buildCallvaultSchema(new ResolverContainer()));
    expect(built).toBe(committed);
  });

  it("prints the role directive on the fields it guards", () => {
    const committed = fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8");
    expect(committed).toMatch(/deleteRecording\(input: DeleteRecordingInput!\): DeletionReceipt! @auth\(requires: \[COMPLIANCE_ADMINISTRATOR\]\)/);
    expect(committed).toMatch(/sha256: String @auth\(requires: \[COMPLIANCE_ADMINISTRATOR\]\)/);
  });

  it("has example operations for Sandbox users that are valid against it", () => {
    const schema = buildSchema(fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8"));
    const examples = parse(fs.readFileSync(path.join(__dirname, "../schema/examples.graphql"), "utf8"));
    expect(validate(schema, examples).map((error) => error.message)).toEqual([]);
    expect(examples.definitions.length).toBeGreaterThan(10);
  });
});
