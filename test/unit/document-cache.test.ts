import { buildSchema, specifiedRules } from "graphql";
import { DocumentCache } from "../../src/graphql/document-cache";

const schema = buildSchema(`type Query { a: Int, b: String }`);
const cache = () => new DocumentCache(schema, specifiedRules, 100);

describe("DocumentCache", () => {
  it("parses and validates a query text once: every socket sending it shares one document", () => {
    const documents = cache();
    const first = documents.check("query { a }");
    const second = documents.check("query { a }");
    expect("document" in first && "document" in second && first.document === second.document).toBe(true);
    expect(documents.size).toBe(1);
  });

  it("keeps no refused text: a parse error and validation errors come back each time, nothing is stored", () => {
    const documents = cache();
    expect("parseError" in documents.check("query {")).toBe(true);
    expect(documents.check("query { nope }")).toEqual({ validationErrors: [expect.objectContaining({ message: expect.stringContaining("nope") })] });
    expect("parseError" in documents.check(`query { ${"a ".repeat(200)} }`)).toBe(true);
    expect(documents.size).toBe(0);
  });

  it("holds at most 500 texts, dropping the least recently used", () => {
    const documents = cache();
    const text = (i: number) => `query { x${i}: a }`;
    const documentOf = (i: number) => (documents.check(text(i)) as { document: object }).document;
    const zero = documentOf(0);
    const one = documentOf(1);
    for (let i = 2; i < 500; i++) documentOf(i);
    // Used again, so text 1 is now the oldest.
    expect(documentOf(0)).toBe(zero);
    documentOf(500);
    expect(documents.size).toBe(500);
    expect(documentOf(0)).toBe(zero);
    expect(documentOf(1)).not.toBe(one);
  });
});
