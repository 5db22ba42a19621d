import type http from "node:http";
import { execute, GraphQLFormattedError, GraphQLSchema, getOperationAST, OperationTypeNode } from "graphql";
import type { GraphQLContext } from "../graphql/context";
import type { ComplexityVerdicts } from "../graphql/complexity-verdicts";
import type { DocumentCache } from "../graphql/document-cache";

export interface PostLaneOptions {
  schema: GraphQLSchema;
  /** Parsed and validated once per query text, shared with graphql-ws (the same rules and limits as Apollo's). */
  documents: DocumentCache;
  complexity: ComplexityVerdicts;
  context: (req: http.IncomingMessage) => Promise<GraphQLContext>;
  /** The formatter Apollo is given, with the request id. */
  format: (formatted: GraphQLFormattedError, error: unknown, requestId?: string) => GraphQLFormattedError;
}

export interface LaneAnswer {
  status: number;
  body: string;
}

/** What a POST body must be for the lane to take it; anything else (batches, persisted queries, odd shapes) is Apollo's. */
interface PlainOperation {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const LANE_KEYS = new Set(["query", "variables", "operationName"]);
/** Accept headers Apollo answers with plain JSON; for others it negotiates (graphql-response+json, 406), so they are its. */
const PLAIN_ACCEPT = /^(\*\/\*|application\/json(\s*;\s*charset\s*=\s*"?utf-8"?)?)$/i;

function plainOperation(body: unknown): PlainOperation | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== "string") return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return undefined;
  for (const key in body) if (!LANE_KEYS.has(key)) return undefined;
  return body as PlainOperation;
}

/**
 * The common case of GraphQL over POST without Apollo's request pipeline: a query or mutation whose text parses,
 * validates (the same rules and limits as Apollo's and graphql-ws's) and passes the complexity limit, executed by
 * graphql-js and answered as Apollo answers it (errors, then data; the same error formatting and masking; an
 * error's `http` extension sets the status). Apollo's pipeline (a SHA-256 of every query text, plugin hooks
 * awaited at every stage, a header map built and copied per request) cost a pause about as much CPU as its
 * database writes. Everything else — a text that fails, a subscription, a request error found before execution
 * (variables that do not coerce), a context that cannot be built — returns undefined without having run
 * anything, and Apollo answers it exactly as before.
 */
export function createPostLane(options: PostLaneOptions) {
  const { documents } = options;
  let open = true;
  /** Requests answered here, and those handed to Apollo. */
  const stats = { answered: 0, toApollo: 0 };
  const toApollo = () => (stats.toApollo++, undefined);
  return {
    stats: stats as Readonly<typeof stats>,
    /** From shutdown on, every request goes to Apollo, which refuses or drains it as it would. */
    close(): void {
      open = false;
    },
    async answer(req: http.IncomingMessage, body: unknown): Promise<LaneAnswer | undefined> {
      const accept = req.headers.accept;
      const request = open && (accept === undefined || PLAIN_ACCEPT.test(accept)) ? plainOperation(body) : undefined;
      if (!request) return toApollo();
      const checked = documents.check(request.query);
      if (!("document" in checked)) return toApollo();
      const { document } = checked;
      const variables = request.variables ?? undefined;
      const operation = getOperationAST(document, request.operationName);
      if (!operation || operation.operation === OperationTypeNode.SUBSCRIPTION) return toApollo();
      if (options.complexity(document, variables, request.operationName)) return toApollo();
      let contextValue: GraphQLContext;
      try {
        contextValue = await options.context(req);
      } catch {
        return toApollo();
      }
      const result = await execute({ schema: options.schema, document, contextValue, variableValues: variables, operationName: request.operationName });
      // No data: a request error, raised before any resolver ran.
      if (!("data" in result) || result.data === undefined) return toApollo();
      stats.answered++;
      let status = 200;
      const errors = result.errors?.map((error) => {
        const { http: head, ...extensions } = { ...error.extensions, code: error.extensions.code ?? "INTERNAL_SERVER_ERROR" } as Record<string, unknown> & { http?: { status?: number } };
        if (head?.status) status = head.status;
        return options.format({ ...error.toJSON(), extensions }, error, contextValue.requestId);
      });
      return { status, body: `${JSON.stringify(errors ? { errors, data: result.data } : { data: result.data })}\n` };
    },
  };
}
