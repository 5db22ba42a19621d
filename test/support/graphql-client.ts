import { Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
}

/** A plain HTTP POST, as any client would send it. */
export async function gql<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: response.status, ...body };
}

export const codesOf = (response: { errors?: { extensions?: Record<string, any> }[] }) => (response.errors ?? []).map((e) => e.extensions?.code);

export function wsClient(wsUrl: string, token?: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    ...extra,
  });
}

/** Collects what one subscription delivers, so tests can await the n-th message. */
export class SubscriptionRecorder<T = Record<string, any>> {
  readonly messages: GraphQLResponse<T>[] = [];
  error: unknown;
  completed = false;
  private waiters: (() => void)[] = [];
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => this.push(() => this.messages.push({ status: 0, ...(value as object) } as GraphQLResponse<T>)),
        error: (error) => this.push(() => (this.error = error)),
        complete: () => this.push(() => (this.completed = true)),
      },
    );
  }

  private push(change: () => void) {
    change();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `count` messages arrived (or the subscription ended); rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000): Promise<GraphQLResponse<T>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count && !this.completed && this.error === undefined) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`expected ${count} messages, got ${this.messages.length}: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** Waits a little and checks that nothing more arrived. */
  async quietFor(ms: number): Promise<number> {
    const before = this.messages.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.messages.length - before;
  }

  stop(): void {
    this.dispose();
  }
}
