import { DocumentNode, GraphQLError, GraphQLSchema, parse, validate, ValidationRule } from "graphql";

export type CheckedDocument = { document: DocumentNode } | { parseError: GraphQLError } | { validationErrors: readonly GraphQLError[] };

/** Distinct query texts a server keeps parsed; clients send a handful (their UI's), so this is ample. */
const CAPACITY = 500;

/**
 * Documents parsed and validated once per distinct query text, for graphql-ws and the POST lane, as Apollo's
 * document store does for what it serves. Every socket sent its own copy of the same few subscriptions, and each
 * kept its own syntax tree (tokens, locations, nodes: about 15 KB) for as long as it stayed subscribed: 5,000
 * watchers held 75 MB of identical trees, and every major garbage collection walked them. Only documents that
 * pass are kept (the least recently used goes first), so refused texts cannot fill it. Executing never changes a
 * document, so one serves every socket and every request.
 */
export class DocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly maxTokens: number,
  ) {}

  check(query: string): CheckedDocument {
    const cached = this.documents.get(query);
    if (cached) {
      this.documents.delete(query);
      this.documents.set(query, cached);
      return { document: cached };
    }
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.maxTokens });
    } catch (error) {
      return { parseError: error instanceof GraphQLError ? error : new GraphQLError("could not parse the query") };
    }
    const validationErrors = validate(this.schema, document, this.rules);
    if (validationErrors.length) return { validationErrors };
    this.documents.set(query, document);
    if (this.documents.size > CAPACITY) this.documents.delete(this.documents.keys().next().value as string);
    return { document };
  }

  get size(): number {
    return this.documents.size;
  }
}
