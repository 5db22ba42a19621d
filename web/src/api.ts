import { Client, createClient } from "graphql-ws/client";

/** A GraphQL error as the API sends it; screens branch on `code` (extensions.code), never on the message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type ConnectionState = "connecting" | "connected" | "reconnecting";

const MAX_RETRY_WAIT_MS = 5000;

/** After the server goes away: 0.25 s, 0.5 s, 1 s, 2 s … capped at 5 s, with jitter so a fleet of consoles spreads out. */
export function retryDelay(attempt: number): number {
  const base = Math.min(250 * 2 ** attempt, MAX_RETRY_WAIT_MS);
  return base / 2 + Math.random() * (base / 2);
}

/** The server allows 20 operations per socket; a big team floor spreads over several sockets. */
const SUBSCRIPTIONS_PER_SOCKET = 15;
/** Close codes with which the server refuses the connection's credentials: retrying cannot help. */
const REFUSED = new Set([4401, 4403]);

interface Socket {
  client: Client;
  state: ConnectionState;
  active: number;
}

/**
 * Queries and mutations go over HTTP POST /graphql; subscriptions over graphql-ws (the protocol the server
 * speaks), whose client reconnects with backoff and resubscribes, so every view starts again from a snapshot.
 */
export class Api {
  private readonly sockets: Socket[] = [];
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private closed = false;

  constructor(
    readonly token: string,
    private readonly onUnauthenticated: () => void,
  ) {}

  private openSocket(): Socket {
    const socket: Socket = { client: undefined as unknown as Client, state: "connecting", active: 0 };
    const setState = (state: ConnectionState) => {
      socket.state = state;
      this.notify();
    };
    socket.client = createClient({
      url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`,
      connectionParams: () => ({ authorization: `Bearer ${this.token}` }),
      lazy: true,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (event) => !this.closed && !REFUSED.has((event as { code?: number })?.code ?? 0),
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryDelay(retries))),
      on: {
        connecting: (isRetry) => setState(isRetry ? "reconnecting" : "connecting"),
        connected: () => setState("connected"),
        closed: (event) => {
          if (this.closed) return;
          if (REFUSED.has((event as { code?: number })?.code ?? 0)) this.onUnauthenticated();
          else setState("reconnecting");
        },
      },
    });
    this.sockets.push(socket);
    return socket;
  }

  /** "reconnecting" while any socket is cut off: views then show nothing stale. */
  get connection(): ConnectionState {
    const states = this.sockets.map((socket) => socket.state);
    return states.includes("reconnecting") ? "reconnecting" : states.includes("connecting") ? "connecting" : states.length ? "connected" : "connecting";
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify() {
    const state = this.connection;
    for (const listener of this.listeners) listener(state);
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? "INTERNAL_SERVER_ERROR";
      if (code === "UNAUTHENTICATED") this.onUnauthenticated();
      throw new ApiError(error.message, code);
    }
    if (!body.data) throw new ApiError(`the server answered ${response.status}`, "INTERNAL_SERVER_ERROR");
    return body.data;
  }

  /**
   * A long-lived subscription: each message goes to `next`; when the server ends it (e.g. after a role change)
   * it starts again, so the first message after any gap is a fresh snapshot.
   */
  live<T>(query: string, variables: Record<string, unknown>, next: (data: T) => void, onError?: (error: ApiError) => void): () => void {
    let stopped = false;
    let dispose = () => {};
    const socket = this.sockets.find((candidate) => candidate.active < SUBSCRIPTIONS_PER_SOCKET) ?? this.openSocket();
    socket.active++;
    const start = () => {
      dispose = socket.client.subscribe<T>(
        { query, variables },
        {
          next: (message) => {
            if (message.errors?.length) {
              const first = message.errors[0] as { message: string; extensions?: { code?: string } };
              onError?.(new ApiError(first.message, first.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
            }
            if (message.data) next(message.data as T);
          },
          error: (error) => {
            const first = Array.isArray(error) ? (error[0] as { message: string; extensions?: { code?: string } }) : undefined;
            if (first) onError?.(new ApiError(first.message, first.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
            if (!stopped && !first) setTimeout(() => !stopped && start(), retryDelay(2));
          },
          complete: () => {
            if (!stopped) setTimeout(() => !stopped && start(), 100);
          },
        },
      );
    };
    start();
    return () => {
      if (stopped) return;
      stopped = true;
      socket.active--;
      dispose();
    };
  }

  close(): void {
    this.closed = true;
    for (const socket of this.sockets) void socket.client.dispose();
  }
}

/** The console's own REST helpers (permission map, development-only demo routes). */
export async function consoleFetch<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: T | undefined }> {
  const headers: Record<string, string> = { ...(init.body ? { "content-type": "application/json" } : {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(path, { ...init, headers });
  const text = await response.text();
  let body: T | undefined;
  try {
    body = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

const TOKEN_KEY = "callvault.token";

/** The bearer token lives in this tab only (sessionStorage): closing the tab signs out. */
export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};
