import type http from "node:http";
import { ApolloServer, BaseContext, HeaderMap } from "@apollo/server";

/**
 * GraphQL over HTTP POST straight to Apollo, without Express: every pause and resume comes this way, and
 * Express's router, content negotiation, body parser and the ETag it hashes for each response cost about a
 * tenth of a pause's CPU. Only the plain case is taken (POST, `application/json` in UTF-8, no content
 * encoding); anything else (GET, preflight, gzip, other types) stays with the Express app, which answers
 * it as before. The request id, arrival time and CORS header are set as the Express middleware does.
 */
export interface GraphQLPostOptions<Context extends BaseContext> {
  path: string;
  maxBodyBytes: number;
  apollo: ApolloServer<Context>;
  /** Answers the common case without Apollo's pipeline; undefined hands the request to Apollo. */
  lane?: { answer(req: http.IncomingMessage, body: unknown): Promise<{ status: number; body: string } | undefined> };
  context: (req: http.IncomingMessage) => Promise<Context>;
  /** Stamps the request as every route's first middleware does (request id, arrival time). */
  stamp: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Where a failure outside Apollo's own handling is logged, as Express's error handler logs it. */
  log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void;
}

const PLAIN_JSON = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export function isPlainGraphQLPost(req: http.IncomingMessage, path: string): boolean {
  if (req.method !== "POST") return false;
  const url = req.url ?? "";
  const query = url.indexOf("?");
  if ((query === -1 ? url : url.slice(0, query)) !== path) return false;
  const encoding = req.headers["content-encoding"];
  return PLAIN_JSON.test(req.headers["content-type"] ?? "") && (encoding === undefined || encoding.toLowerCase() === "identity");
}

export function handleGraphQLPost<Context extends BaseContext>(options: GraphQLPostOptions<Context>) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    options.stamp(req, res);
    res.setHeader("Access-Control-Allow-Origin", "*");
    const declared = Number(req.headers["content-length"]);
    if (declared > options.maxBodyBytes) return refuse(req, res, 413, "PAYLOAD_TOO_LARGE", "request entity too large");
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > options.maxBodyBytes) {
        refused = true;
        return refuse(req, res, 413, "PAYLOAD_TOO_LARGE", "request entity too large");
      }
      chunks.push(chunk);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      if (refused) return;
      let body: unknown;
      try {
        const text = Buffer.concat(chunks, received).toString("utf8");
        const first = text.trimStart()[0];
        // As Express's strict JSON parser: only an object or an array is a request body.
        if (first !== "{" && first !== "[") throw new SyntaxError("the body must be a JSON object");
        body = JSON.parse(text);
      } catch (error) {
        return refuse(req, res, 400, "BAD_REQUEST", (error as Error).message);
      }
      void respond(options, req, res, body).catch((error) => {
        options.log(`request ${req.requestId} failed`, error, { requestId: req.requestId });
        if (!res.headersSent) refuse(req, res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
        else res.destroy(error as Error);
      });
    });
  };
}

async function respond<Context extends BaseContext>(options: GraphQLPostOptions<Context>, req: http.IncomingMessage, res: http.ServerResponse, body: unknown) {
  const answered = await options.lane?.answer(req, body);
  if (answered) {
    res.statusCode = answered.status;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Content-Length", Buffer.byteLength(answered.body));
    res.end(answered.body);
    return;
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  const url = req.url ?? "";
  const query = url.indexOf("?");
  const response = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: "POST", headers, search: query === -1 ? "" : url.slice(query), body },
    context: () => options.context(req),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === "complete") {
    res.setHeader("Content-Length", Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), Connection: status === 413 ? "close" : "keep-alive" });
  res.end(body);
  // The rest of an oversized body is not read: the connection is closed once the answer is out.
  if (status === 413) req.resume();
}
