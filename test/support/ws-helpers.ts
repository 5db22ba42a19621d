import type { Client } from "graphql-ws";
import WebSocket from "ws";
import type { GraphQLResponse } from "./graphql-client";

export interface SocketClose {
  code: number;
  reason: string;
}

/**
 * A raw graphql-transport-ws socket, for what a well-behaved client library never does: stay silent,
 * send oversized frames, or watch the exact close code.
 */
export class RawSocket {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<SocketClose>;
  private readonly inbox: Record<string, any>[] = [];
  private waiters: (() => void)[] = [];

  constructor(wsUrl: string, protocol = "graphql-transport-ws") {
    this.ws = new WebSocket(wsUrl, protocol);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.closed = new Promise((resolve) => this.ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on("message", (data) => {
      this.inbox.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.ws.on("close", () => this.wake());
    // A server-side close may surface as an error on a half-sent frame; the close code is what we assert.
    this.ws.on("error", () => undefined);
  }

  private wake() {
    for (const wake of this.waiters.splice(0)) wake();
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The next message from the server, or undefined once the socket closed. */
  async next(timeoutMs = 5000): Promise<Record<string, any> | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0 && this.ws.readyState !== WebSocket.CLOSED) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error("no message from the server");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.inbox.shift();
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** Opens a socket and sends connection_init; resolves with the ack, or with the close when the server refuses. */
export async function initSocket(wsUrl: string, payload: unknown): Promise<{ socket: RawSocket; acked: boolean; close?: SocketClose }> {
  const socket = new RawSocket(wsUrl);
  await socket.opened;
  socket.send({ type: "connection_init", payload });
  const reply = await socket.next();
  if (reply?.type === "connection_ack") return { socket, acked: true };
  return { socket, acked: false, close: await socket.closed };
}

/** Runs one operation over graphql-ws and returns it in the same shape as an HTTP response (status 0). */
export function wsRequest<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
  return new Promise((resolve, reject) => {
    let result: GraphQLResponse<T> | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => (result = { status: 0, ...(value as object) } as GraphQLResponse<T>),
        error: (error) => {
          // graphql-ws delivers an operation's refusal as the array of errors; anything else is the socket failing.
          if (Array.isArray(error)) resolve({ status: 0, errors: error });
          else reject(error);
        },
        complete: () => (result ? resolve(result) : reject(new Error("completed without a result"))),
      },
    );
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
