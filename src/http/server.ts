import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import cors from "cors";
import express, { ErrorRequestHandler, Express } from "express";
import { GraphQLError, GraphQLFormattedError, GraphQLSchema, OperationTypeNode, specifiedRules } from "graphql";
import { WebSocket, WebSocketServer } from "ws";
import type { Authenticator } from "../auth/authenticator";
import type { EventBus } from "../events/event-bus";
import { DomainError } from "../common/errors";
import type { GraphQLContext, SubscriptionStreams } from "../graphql/context";
import { createErrorFormatter, toGraphQLError } from "../graphql/errors";
import { complexityVerdicts, type ComplexityVerdicts } from "../graphql/complexity-verdicts";
import { DocumentCache } from "../graphql/document-cache";
import { LIMITS, validationRules } from "../graphql/limits";
import { attachGraphQLWs } from "./graphql-ws";
import { handleGraphQLPost, isPlainGraphQLPost } from "./graphql-post";
import { createPostLane } from "./graphql-post-lane";
import { requestIdFrom } from "./request-id";
import type { Log } from "../logging/logger";
import { severityOf } from "../logging/severity";

export const GRAPHQL_PATH = "/graphql";

export interface HttpServerOptions {
  port: number;
  host?: string;
  schema: GraphQLSchema;
  authenticator: Authenticator;
  streams: SubscriptionStreams;
  bus: EventBus;
  production: boolean;
  log: Log;
  /** Further routes (e.g. the media download) mounted before GraphQL. */
  routes?: (app: Express) => void;
  /** Further WebSocket endpoints by path (e.g. audio ingest); upgrades to other paths are refused. */
  webSockets?: Record<string, UpgradeRoute>;
  health?: () => Promise<void>;
}

/** A WebSocket endpoint; `authorize` runs on the upgrade request, before any message is accepted. */
export interface UpgradeRoute {
  server: WebSocketServer;
  authorize?: (request: http.IncomingMessage) => Promise<unknown>;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  httpServer: http.Server;
  /** Shutdown begins: WebSocket upgrades are refused and /health answers 503, so balancers route elsewhere. */
  stopAccepting(): void;
  /** Closes WebSockets with 1001 (going away), drains HTTP requests and stops listening. */
  close(): Promise<void>;
  /** Plain POSTs answered without Apollo's pipeline, and those handed to it (graphql-post-lane.ts). */
  postLane: Readonly<{ answered: number; toApollo: number }>;
  /** Open WebSocket connections on a path (e.g. GRAPHQL_PATH: subscription clients). */
  connections(path: string): number;
}

/** Sockets that ignore our close frame are cut off after this. */
const WS_CLOSE_GRACE_MS = 1000;
/** In-flight HTTP requests (e.g. downloads) get this long to finish once shutdown has begun. */
const HTTP_DRAIN_GRACE_MS = 5000;

declare module "http" {
  interface IncomingMessage {
    requestId?: string;
    receivedAt?: Date;
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const app = express();
  app.disable("x-powered-by");
  // Requests are dispatched below, once GraphQL is ready: plain POSTs to /graphql skip Express.
  const httpServer = http.createServer();
  const format = createErrorFormatter({ maskInternalErrors: options.production, log: options.log });
  // Apollo's formatError sees no request: the request id reaches it (for the log and the masked error) through the
  // error itself, tagged when the request encounters it. (No AsyncLocalStorage: its hooks would tax every promise.)
  const requestIdOfError = new WeakMap<object, string>();
  const requestIdOf = (error: unknown): string | undefined => {
    if (typeof error !== "object" || error === null) return undefined;
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    return requestIdOfError.get(error) ?? (original ? requestIdOfError.get(original) : undefined);
  };

  const upgradeTurns = takeTurns(UPGRADES_PER_TURN);
  const graphqlWs = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPayloadBytes });
  // One cache of checked documents and one of complexity verdicts, for graphql-ws and the POST lane alike: the
  // same rules and limits as Apollo's.
  const documents = new DocumentCache(options.schema, [...specifiedRules, ...validationRules(options.production)], LIMITS.maxTokens);
  const complexity = complexityVerdicts(options.schema);
  const wsCleanup = attachGraphQLWs(graphqlWs, {
    schema: options.schema,
    documents,
    complexity,
    authenticator: options.authenticator,
    streams: options.streams,
    production: options.production,
    formatError: (error, requestId) => format(error.toJSON(), error, requestId) as ReturnType<GraphQLError["toJSON"]>,
    bus: options.bus,
    log: options.log,
  });
  const routes: Record<string, UpgradeRoute> = { [GRAPHQL_PATH]: { server: graphqlWs }, ...options.webSockets };
  const sockets = Object.values(routes).map((route) => route.server);
  let accepting = true;
  httpServer.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const route = routes[path];
    if (!route) return refuseUpgrade(socket, 404, "Not Found");
    if (!accepting) return refuseUpgrade(socket, 503, "Service Unavailable");
    socket.on("error", () => socket.destroy());
    const authorize = route.authorize ?? (async () => undefined);
    upgradeTurns(() => authorize(request).then(
      (principal) =>
        route.server.handleUpgrade(request, socket, head, (ws) => {
          route.server.emit("connection", ws, request, principal);
          quietHangUps(ws, path, options.log);
        }),
      (error: { status?: number; message?: string }) => {
        if (!error?.status) options.log(`upgrade of ${path} failed`, error);
        refuseUpgrade(socket, error?.status ?? 500, error?.status === 401 ? "Unauthorized" : error?.status === 403 ? "Forbidden" : "Internal Server Error");
      },
    ));
  });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: options.schema,
    introspection: !options.production,
    // No "Did you mean …" field suggestions in production: they would reveal the schema introspection hides.
    hideSchemaDetailsFromClientErrors: options.production,
    validationRules: validationRules(options.production),
    parseOptions: { maxTokens: LIMITS.maxTokens },
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT; Apollo's own handlers would stop the server under it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => format(formatted, error, requestIdOf(error)),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: HTTP_DRAIN_GRACE_MS }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      refuseSubscriptionsOverHttp,
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, contextValue }) {
              for (const error of errors) if (contextValue?.requestId) requestIdOfError.set(error, contextValue.requestId);
            },
          };
        },
      },
      complexityPlugin(complexity),
      // No field carries a cache hint, and its per-field hook made Apollo wrap every resolver of every request.
      // Its one effect, `Cache-Control: no-store`, is set with the request id instead (`noStore`).
      ApolloServerPluginCacheControlDisabled(),
      options.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const stamp = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.receivedAt = new Date();
    req.requestId = requestIdFrom(req.headers["x-request-id"]);
    res.setHeader("X-Request-Id", req.requestId);
  };
  const graphqlContext = async (req: http.IncomingMessage): Promise<GraphQLContext> => {
    try {
      const viewer = await options.authenticator.authenticate(req.headers.authorization);
      return { viewer, requestId: req.requestId ?? requestIdFrom(undefined), receivedAt: req.receivedAt ?? new Date(), streams: options.streams };
    } catch (error) {
      if (error instanceof DomainError) throw toGraphQLError(error);
      if (typeof error === "object" && error !== null) requestIdOfError.set(error, req.requestId ?? "");
      throw error;
    }
  };
  // GraphQL answers hold recordings, holds and audit data: never kept by a browser or a proxy.
  const noStore = (res: http.ServerResponse) => res.setHeader("Cache-Control", "no-store");
  const lane = createPostLane({ schema: options.schema, documents, complexity, context: graphqlContext, format });
  const graphqlPost = handleGraphQLPost({
    path: GRAPHQL_PATH,
    maxBodyBytes: LIMITS.maxPayloadBytes,
    apollo,
    lane,
    context: graphqlContext,
    stamp: (req, res) => (stamp(req, res), noStore(res)),
    log: options.log,
  });
  httpServer.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => (isPlainGraphQLPost(req, GRAPHQL_PATH) ? graphqlPost(req, res) : app(req, res)));

  app.use((req, res, next) => {
    stamp(req, res);
    next();
  });
  app.get("/health", async (_req, res) => {
    if (!accepting) {
      res.status(503).json({ status: "shutting down" });
      return;
    }
    try {
      await options.health?.();
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });
  options.routes?.(app);
  app.use(
    GRAPHQL_PATH,
    (_req, res, next) => (noStore(res), next()),
    cors<cors.CorsRequest>(),
    express.json({ limit: LIMITS.maxPayloadBytes }),
    expressMiddleware(apollo, { context: ({ req }) => graphqlContext(req) }),
  );
  // Unmatched routes answer like the rest of the API: JSON, never Express's HTML page.
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: "no such route", extensions: { code: "NOT_FOUND" } }] });
  });
  app.use(jsonErrors(options.log));

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}${GRAPHQL_PATH}`,
    port,
    httpServer,
    postLane: lane.stats,
    stopAccepting() {
      accepting = false;
    },
    connections(path) {
      return routes[path]?.server.clients.size ?? 0;
    },
    async close() {
      accepting = false;
      lane.close();
      await Promise.all(sockets.flatMap((ws) => [...ws.clients].map((client) => closeGoingAway(client))));
      await apollo.stop();
      for (const ws of sockets) ws.close();
    },
  };
}

/**
 * graphql-ws logs every socket error with a stack ("Internal error emitted on a WebSocket socket") and every
 * send that fails because the client already left ("Internal error occurred during message handling"). Both
 * are clients hanging up or breaking the protocol (an oversized frame): logged by severity, without a stack.
 */
function quietHangUps(ws: WebSocket, path: string, log: Log): void {
  ws.removeAllListeners("error");
  ws.on("error", (error) => log(`WebSocket on ${path} closed by an error`, error));
  const send = ws.send.bind(ws) as (data: unknown, options: object, cb?: (error?: Error) => void) => void;
  ws.send = ((data: unknown, optionsOrCb?: object | ((error?: Error) => void), cb?: (error?: Error) => void) => {
    const callback = typeof optionsOrCb === "function" ? optionsOrCb : cb;
    const options = typeof optionsOrCb === "object" ? optionsOrCb : {};
    send(data, options, (error?: Error) => {
      if (error && (ws.readyState !== WebSocket.OPEN || severityOf(error) === "debug")) {
        log(`WebSocket on ${path}: the client left before a message reached it`, Object.assign(error, { code: (error as NodeJS.ErrnoException).code ?? "EPIPE" }));
        return callback?.();
      }
      callback?.(error);
    });
  }) as WebSocket["send"];
}

function closeGoingAway(client: WebSocket): Promise<void> {
  if (client.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cutOff = setTimeout(() => client.terminate(), WS_CLOSE_GRACE_MS);
    client.once("close", () => {
      clearTimeout(cutOff);
      resolve();
    });
    client.close(1001, "server shutting down");
  });
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function complexityPlugin(verdictOf: ComplexityVerdicts): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = verdictOf(document, request.variables, request.operationName);
          // A refused query is the client's fault (400, as for validation), not a server failure (Apollo's default 500).
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

/** Subscriptions are served by graphql-ws; over HTTP, execute() would run the event resolver with no event. */
const refuseSubscriptionsOverHttp: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
        throw new GraphQLError("subscriptions are served over WebSocket (graphql-ws) on this path", { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
      },
    };
  },
};

/** Body-parser and other middleware failures answer in GraphQL's error shape, never as an HTML page. */
function jsonErrors(log: Log): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof error?.status === "number" ? error.status : 500;
    const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR";
    if (status >= 500) log(`request ${req.requestId} failed`, error, { requestId: req.requestId });
    res.status(status).json({ errors: [{ message: status < 500 ? String(error.message) : "Internal server error", extensions: { code } }] });
  };
}

/** How many WebSocket upgrades are authorized in one event-loop turn before other requests get theirs. */
const UPGRADES_PER_TURN = 2;

/**
 * Runs queued work a few items per event-loop turn: a burst of hundreds of handshakes (each a token check and a
 * database read) would otherwise run back to back and hold `/health` and every other request behind it.
 */
function takeTurns(perTurn: number): (work: () => void) => void {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const runSome = () => {
    for (let done = 0; done < perTurn && waiting.length > 0; done++) (waiting.shift() as () => void)();
    scheduled = waiting.length > 0;
    if (scheduled) setImmediate(runSome);
  };
  return (work) => {
    waiting.push(work);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runSome);
    }
  };
}
