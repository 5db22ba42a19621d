/**
 * Logs people can use: JSON lines with a level; client hang-ups and protocol refusals quiet and without a
 * stack; real faults at error with one stack and the request id that the client and the audit log also see.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { createLogger } from "../src/logging/logger";
import { PAUSE, RESUME, Scenario, startCall, STATE_SUBSCRIPTION, createScenario } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

interface LogLine {
  level: string;
  msg: string;
  requestId?: string;
  err?: { stack?: string };
  [field: string]: unknown;
}

/** A logger at debug whose JSON lines the test reads. */
function capturedLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger("debug", { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const stacks = (lines: LogLine[]) => lines.filter((line) => /\n\s+at /.test(JSON.stringify(line).replace(/\\n/g, "\n")));

describe("under client churn", () => {
  let t: TestApp;
  let s: Scenario;
  const captured = capturedLogger();
  // Libraries (graphql-ws) print straight to the console: anything there bypassed the logger.
  let consoleError: jest.SpyInstance;
  beforeAll(async () => {
    t = await startTestApp({ logger: captured.logger });
    s = await createScenario(t);
  });
  beforeEach(() => (consoleError = jest.spyOn(console, "error")));
  afterEach(() => {
    expect(consoleError.mock.calls).toEqual([]);
    consoleError.mockRestore();
  });
  afterAll(() => t.close());

  it("subscribers connecting and vanishing mid-stream (while events flow) write no stack and no error", async () => {
    const { recordingId } = await startCall(t, s);
    let flowing = true;
    // Events for the subscribers: pause and resume in a loop.
    const events = (async () => {
      while (flowing) {
        await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${s.manager.token}` }, body: JSON.stringify({ query: PAUSE, variables: { input: { recordingId } } }) });
        await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${s.manager.token}` }, body: JSON.stringify({ query: RESUME, variables: { input: { recordingId, force: true } } }) });
      }
    })();
    const cycle = () =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(t.wsUrl, "graphql-transport-ws");
        ws.on("error", () => undefined);
        ws.on("close", () => resolve());
        ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${s.manager.token}` } })));
        ws.on("message", (data) => {
          const message = JSON.parse(data.toString());
          if (message.type === "connection_ack") {
            ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: STATE_SUBSCRIPTION, variables: { recordingId } } }));
            // Gone without a close frame, at a random moment: before, during or after events.
            setTimeout(() => ws.terminate(), Math.random() * 30);
          }
        });
      });
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 10 }, cycle));
    flowing = false;
    await events;
    await sleep(200);

    expect(stacks(captured.lines)).toEqual([]);
    expect(captured.lines.filter((line) => line.level === "error" || line.level === "fatal")).toEqual([]);
    expect(captured.lines.every((line) => typeof line.level === "string" && typeof line.msg === "string" && typeof line.time === "string")).toBe(true);
  }, 60_000);

  it("an oversized frame from an unauthenticated client is refused (1009) and logged at info without a stack", async () => {
    const before = captured.lines.length;
    const ws = new WebSocket(t.wsUrl, "graphql-transport-ws");
    ws.on("error", () => undefined);
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send("x".repeat(200 * 1024));
    const code = await new Promise<number>((resolve) => ws.once("close", (closeCode) => resolve(closeCode)));
    expect(code).toBe(1009);
    await sleep(100);
    const lines = captured.lines.slice(before);
    expect(stacks(lines)).toEqual([]);
    expect(lines.filter((line) => /Internal error/i.test(line.msg) || line.level === "error")).toEqual([]);
    expect(lines.some((line) => line.level === "info" && /WS_ERR/.test(String(line.reason)))).toBe(true);
  });
});

describe("a real fault", () => {
  let t: TestApp;
  let s: Scenario;
  const captured = capturedLogger();
  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: "production", logger: captured.logger });
    s = await createScenario(t);
  });
  afterAll(() => t.close());

  const createCustomer = (requestId: string) =>
    fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.apiUser.token}`, "x-request-id": requestId },
      body: JSON.stringify({ query: `mutation { createCustomer(input: { name: "Ada" }) { id } }` }),
    }).then((response) => response.json() as Promise<{ errors?: { extensions: Record<string, unknown> }[] }>);

  it("carries the request id in the audit entry of what succeeded", async () => {
    const requestId = `ok-${randomUUID()}`;
    expect((await createCustomer(requestId)).errors).toBeUndefined();
    expect(await t.app.services.dataSource.getRepository(AuditEntryEntity).countBy({ requestId })).toBe(1);
  });

  it("names the request in a refusal's extensions too, and logs no stack for it", async () => {
    const requestId = `refused-${randomUUID()}`;
    const body = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.apiUser.token}`, "x-request-id": requestId },
      body: JSON.stringify({ query: `mutation { createCustomer(input: { name: "\u200b" }) { id } }` }),
    }).then((response) => response.json() as Promise<{ errors?: { extensions: Record<string, unknown> }[] }>);
    expect(body.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", requestId });
    expect(stacks(captured.lines.filter((line) => line.requestId === requestId))).toHaveLength(0);
  });

  it("is logged at error with one stack and the request id the client got in the error's extensions", async () => {
    await t.app.services.dataSource.query("DROP TABLE audit_entries");
    const requestId = `fault-${randomUUID()}`;
    const body = await createCustomer(requestId);
    expect(body.errors?.[0].extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", requestId });
    const logged = captured.lines.filter((line) => line.requestId === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0].level).toBe("error");
    expect(logged[0].err?.stack?.match(/\n\s+at /g)?.length).toBeGreaterThan(0);
    expect(stacks(logged)).toHaveLength(1);
  });
});
