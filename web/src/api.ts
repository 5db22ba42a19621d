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

/**
 * Queries and mutations go over HTTP POST /graphql; subscriptions over one graphql-ws connection (the protocol
 * the server speaks) that reconnects with backoff and resubscribes, so every view starts again from a snapshot.
 */
export class Api {
  private readonly ws: Client;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = "connecting";
  private closed = false;

  constructor(
    readonly token: string,
    private readonly onUnauthenticated: () => void,
  ) {
    const wsUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
    this.ws = createClient({
      url: wsUrl,
      connectionParams: () => ({ authorization: `Bearer ${this.token}` }),
      lazy: true,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => !this.closed,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryDelay(retries))),
      on: {
        connecting: (isRetry) => this.setState(isRetry ? "reconnecting" : "connecting"),
        connected: () => this.setState("connected"),
        closed: () => {
          if (!this.closed) this.setState("reconnecting");
        },
      },
    });
  }

  get connection(): ConnectionState {
    return this.state;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: ConnectionState) {
    this.state = state;
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
    const start = () => {
      dispose = this.ws.subscribe<T>(
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
      stopped = true;
      dispose();
    };
  }

  close(): void {
    this.closed = true;
    void this.ws.dispose();
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
