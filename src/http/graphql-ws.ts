import { GraphQLError, GraphQLSchema, getOperationAST } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { WebSocketServer } from "ws";
import { DomainError } from "../common/errors";
import type { Authenticator } from "../auth/authenticator";
import type { Viewer } from "../auth/viewer";
import type { EventBus } from "../events/event-bus";
import type { GraphQLContext, SubscriptionStreams } from "../graphql/context";
import type { DocumentCache } from "../graphql/document-cache";
import type { ComplexityVerdicts } from "../graphql/complexity-verdicts";
import { LIMITS } from "../graphql/limits";
import { requestIdFrom } from "./request-id";
import { SharedSubscriptions } from "./shared-subscriptions";

type Formatter = (error: GraphQLError, requestId: string) => ReturnType<GraphQLError["toJSON"]>;

export interface GraphQLWsOptions {
  schema: GraphQLSchema;
  authenticator: Authenticator;
  streams: SubscriptionStreams;
  production: boolean;
  /** Parsed and validated once per query text, shared with the POST lane. */
  documents: DocumentCache;
  /** The complexity limit's verdicts, shared with Apollo and the POST lane. */
  complexity: ComplexityVerdicts;
  formatError: Formatter;
  /** Role changes reach the socket through it (its cached viewer is dropped). */
  bus: EventBus;
  log: (message: string, error?: unknown) => void;
}

type SocketState = Record<PropertyKey, unknown> & {
  authorization?: string;
  /** Operation ids are per socket ("1", "2", …), so their request ids and arrival instants live on the socket too. */
  requestIds?: Map<string, string>;
  receivedAt?: Map<string, Date>;
  /** Resolved once per socket; dropped when the user's roles change, so the next operation reads them again. */
  viewer?: Promise<Viewer>;
  viewerId?: string;
  stopWatchingRoles?: () => void;
};

/**
 * graphql-ws on the shared HTTP server. It skips Apollo's pipeline, so it gets the same validation rules,
 * complexity limit, introspection setting and error masking here. Authentication happens in connection_init.
 */
export function attachGraphQLWs(wsServer: WebSocketServer, options: GraphQLWsOptions) {
  const { documents } = options;
  const state = (extra: unknown) => extra as SocketState;
  const requestIdsOf = (extra: unknown) => (state(extra).requestIds ??= new Map());
  const arrivalsOf = (extra: unknown) => (state(extra).receivedAt ??= new Map());
  const shared = new SharedSubscriptions(options.formatError, options.log);

  /** The token is checked on every operation (it may have expired since connection_init); the user is read once. */
  const viewerOf = async (socket: SocketState): Promise<Viewer | undefined> => {
    const userId = await options.authenticator.verify(socket.authorization);
    if (userId === undefined) return undefined;
    if (!socket.viewer || socket.viewerId !== userId) {
      socket.viewerId = userId;
      socket.viewer = options.authenticator.viewerOf(userId);
      socket.viewer.catch(() => (socket.viewer = undefined));
    }
    return socket.viewer;
  };

  return useServer<Record<string, unknown> | undefined, SocketState>(
    {
      schema: options.schema,
      // graphql-ws otherwise reads process.env.NODE_ENV to decide whether close reasons may carry error messages.
      isProd: options.production,
      connectionInitWaitTimeout: LIMITS.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== "string" || authorization === "") return false;
        const socket = state(ctx.extra);
        socket.authorization = authorization;
        let viewer: Viewer | undefined;
        try {
          viewer = await viewerOf(socket);
        } catch (error) {
          if (error instanceof DomainError) return false;
          throw error;
        }
        if (!viewer) return false;
        socket.stopWatchingRoles = await options.bus.listen("USER_ROLES_CHANGED", `user:${viewer.userId}`, () => (socket.viewer = undefined));
        return true;
      },
      onClose: (ctx) => {
        state(ctx.extra).stopWatchingRoles?.();
      },
      subscribe: shared.subscribe,
      onSubscribe: (ctx, id, payload) => {
        arrivalsOf(ctx.extra).set(id, new Date());
        requestIdsOf(ctx.extra).set(id, requestIdFrom(undefined));
        if (Object.keys(ctx.subscriptions).length > LIMITS.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`at most ${LIMITS.maxSubscriptionsPerSocket} operations per socket`, { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } })];
        }
        const checked = documents.check(payload.query);
        if ("parseError" in checked) return [checked.parseError].map(withCode("GRAPHQL_PARSE_FAILED"));
        if ("validationErrors" in checked) return checked.validationErrors.map(withCode("GRAPHQL_VALIDATION_FAILED"));
        const { document } = checked;
        const refused = options.complexity(document, payload.variables ?? undefined, payload.operationName);
        if (refused) return [refused];
        if (!getOperationAST(document, payload.operationName)) return [new GraphQLError("Unable to identify operation", { extensions: { code: "BAD_USER_INPUT" } })];
        return { schema: options.schema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      // A token that expired since connection_init signs nobody in; roles are those held since the last change.
      context: async (ctx, id, payload): Promise<GraphQLContext> => {
        const viewer = await viewerOf(state(ctx.extra)).catch((error) => {
          if (error instanceof DomainError) return undefined;
          throw error;
        });
        return {
          viewer,
          requestId: requestIdsOf(ctx.extra).get(id) ?? requestIdFrom(undefined),
          receivedAt: arrivalsOf(ctx.extra).get(id) ?? new Date(),
          streams: options.streams,
          sink: {
            socket: ctx.extra.socket,
            operationId: id,
            shareKey: `${viewer ? [...viewer.roles].sort().join(",") : ""}\u0000${payload.operationName ?? ""}\u0000${payload.query}\u0000${JSON.stringify(payload.variables ?? {})}`,
          },
        };
      },
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
