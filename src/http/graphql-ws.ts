import { GraphQLError, GraphQLSchema, parse, validate, specifiedRules, getOperationAST } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { WebSocketServer } from "ws";
import { DomainError } from "../common/errors";
import type { Authenticator } from "../auth/authenticator";
import type { GraphQLContext, SubscriptionStreams } from "../graphql/context";
import { complexityErrors, LIMITS, validationRules } from "../graphql/limits";
import { requestIdFrom } from "./request-id";

type Formatter = (error: GraphQLError, requestId: string) => ReturnType<GraphQLError["toJSON"]>;

export interface GraphQLWsOptions {
  schema: GraphQLSchema;
  authenticator: Authenticator;
  streams: SubscriptionStreams;
  production: boolean;
  formatError: Formatter;
}

type SocketState = Record<PropertyKey, unknown> & {
  authorization?: string;
  /** Operation ids are per socket ("1", "2", …), so their request ids and arrival instants live on the socket too. */
  requestIds?: Map<string, string>;
  receivedAt?: Map<string, Date>;
};

/**
 * graphql-ws on the shared HTTP server. It skips Apollo's pipeline, so it gets the same validation rules,
 * complexity limit, introspection setting and error masking here. Authentication happens in connection_init.
 */
export function attachGraphQLWs(wsServer: WebSocketServer, options: GraphQLWsOptions) {
  const rules = [...specifiedRules, ...validationRules(options.production)];
  const state = (extra: unknown) => extra as SocketState;
  const requestIdsOf = (extra: unknown) => (state(extra).requestIds ??= new Map());
  const arrivalsOf = (extra: unknown) => (state(extra).receivedAt ??= new Map());

  return useServer<Record<string, unknown> | undefined, SocketState>(
    {
      schema: options.schema,
      // graphql-ws otherwise reads process.env.NODE_ENV to decide whether close reasons may carry error messages.
      isProd: options.production,
      connectionInitWaitTimeout: LIMITS.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== "string" || authorization === "") return false;
        try {
          await options.authenticator.authenticate(authorization);
        } catch (error) {
          if (error instanceof DomainError) return false;
          throw error;
        }
        state(ctx.extra).authorization = authorization;
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        arrivalsOf(ctx.extra).set(id, new Date());
        requestIdsOf(ctx.extra).set(id, requestIdFrom(undefined));
        if (Object.keys(ctx.subscriptions).length > LIMITS.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`at most ${LIMITS.maxSubscriptionsPerSocket} operations per socket`, { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } })];
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: LIMITS.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError("could not parse the query")].map(withCode("GRAPHQL_PARSE_FAILED"));
        }
        const errors = validate(options.schema, document, rules);
        if (errors.length) return errors.map(withCode("GRAPHQL_VALIDATION_FAILED"));
        const complexity = complexityErrors(options.schema, document, payload.variables ?? undefined, payload.operationName);
        if (complexity.length) return complexity;
        if (!getOperationAST(document, payload.operationName)) return [new GraphQLError("Unable to identify operation", { extensions: { code: "BAD_USER_INPUT" } })];
        return { schema: options.schema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      // Roles are read again for every operation; a token that expired since connection_init signs nobody in.
      context: async (ctx, id): Promise<GraphQLContext> => ({
        viewer: await options.authenticator.authenticate(state(ctx.extra).authorization).catch((error) => {
          if (error instanceof DomainError) return undefined;
          throw error;
        }),
        requestId: requestIdsOf(ctx.extra).get(id) ?? requestIdFrom(undefined),
        receivedAt: arrivalsOf(ctx.extra).get(id) ?? new Date(),
        streams: options.streams,
      }),
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors?.length) return undefined;
        const requestId = requestIdsOf(ctx.extra).get(id) ?? "";
        return { ...result, errors: result.errors.map((error) => options.formatError(error as GraphQLError, requestId)) } as unknown as typeof result;
      },
      onError: (ctx, id, _payload, errors) => {
        const requestId = requestIdsOf(ctx.extra).get(id) ?? "";
        // An operation refused before it ran never completes, so its request id is released here.
        requestIdsOf(ctx.extra).delete(id);
        arrivalsOf(ctx.extra).delete(id);
        return errors.map((error) => options.formatError(options.production ? withoutSuggestions(error) : error, requestId)) as unknown as GraphQLError[];
      },
      onComplete: (ctx, id) => {
        requestIdsOf(ctx.extra).delete(id);
        arrivalsOf(ctx.extra).delete(id);
      },
    },
    wsServer,
  );
}

/** Apollo's hideSchemaDetailsFromClientErrors, for the socket: no "Did you mean …" in production. */
const withoutSuggestions = (error: GraphQLError) =>
  /Did you mean/.test(error.message)
    ? new GraphQLError(error.message.replace(/ ?Did you mean .*$/, ""), { nodes: error.nodes, extensions: error.extensions })
    : error;

const withCode = (code: string) => (error: GraphQLError) =>
  error.extensions?.code ? error : new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
