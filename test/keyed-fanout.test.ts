import Redis from "ioredis";
import WebSocket from "ws";
import { InMemoryEventBus } from "../src/events/in-memory-event-bus";
import { RedisEventBus } from "../src/events/redis-event-bus";
import type { RecordingStateChangedEvent } from "../src/events/topics";
import { ControlSource, RecordingState } from "../src/recordings/recording-state";
import { gql } from "./support/graphql-client";
import { PAUSE, Scenario, startCall, startScenarioApp, STATE_SUBSCRIPTION } from "./support/scenario";
import { TestApp } from "./support/test-app";

const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

const event = (agentId: string, recordingId: string, customerId: string): RecordingStateChangedEvent => ({
  recordingId,
  callId: `call-${recordingId}`,
  agentId,
  customerId,
  sequence: 2,
  previousState: RecordingState.RECORDING,
  state: RecordingState.PAUSED,
  actorId: agentId,
  source: ControlSource.AGENT_UI,
  activeHolds: [],
  occurredAt: new Date().toISOString(),
  effectiveAt: new Date().toISOString(),
});

describe("keyed fan-out", () => {
  it("in memory: publishing reaches only the listeners of the event's agent, recording and customer keys", async () => {
    const bus = new InMemoryEventBus();
    const heard: string[] = [];
    for (const key of ["agent:a1", "agent:a2", "recording:r1", "recording:r2", "customer:c1", "customer:c2"]) {
      await bus.listen("RECORDING_STATE_CHANGED", key, () => heard.push(key));
    }
    await bus.listen("USER_ROLES_CHANGED", "user:a1", () => heard.push("roles"));
    await bus.publish("RECORDING_STATE_CHANGED", event("a1", "r1", "c1"));
    expect(heard.sort()).toEqual(["agent:a1", "customer:c1", "recording:r1"]);
    await bus.close();
  });

  it("on Redis: an instance subscribes to the channels of the keys its subscribers watch, and leaves them after", async () => {
    const bus = await RedisEventBus.connect(REDIS_URL);
    const probe = new Redis(REDIS_URL);
    const unique = `${process.pid}-${Date.now()}`;
    try {
      const heard: RecordingStateChangedEvent[] = [];
      const stop = await bus.listen("RECORDING_STATE_CHANGED", `agent:${unique}`, (e) => heard.push(e));
      const channels = async () => (await probe.pubsub("CHANNELS", `callvault:events:*${unique}*`)) as string[];
      expect(await channels()).toEqual([`callvault:events:RECORDING_STATE_CHANGED:agent:${unique}`]);
      await bus.publish("RECORDING_STATE_CHANGED", event(`other-${unique}`, `r-${unique}`, `c-${unique}`));
      await bus.publish("RECORDING_STATE_CHANGED", event(unique, `r2-${unique}`, `c-${unique}`));
      for (let i = 0; i < 50 && heard.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard.map((e) => e.agentId)).toEqual([unique]);
      stop();
      for (let i = 0; i < 50 && (await channels()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await channels()).toEqual([]);
    } finally {
      probe.disconnect();
      await bus.close();
    }
  });
});

describe("shared subscription delivery", () => {
  let t: TestApp;
  let s: Scenario;
  beforeAll(async () => ({ t, s } = await startScenarioApp()));
  afterAll(() => t.close());

  /** A raw graphql-transport-ws socket that records every frame as the bytes it arrived as. */
  async function rawSubscriber(token: string, variables: Record<string, unknown>) {
    const frames: string[] = [];
    const socket = new WebSocket(t.wsUrl, "graphql-transport-ws");
    socket.on("message", (data) => frames.push(data.toString()));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
    for (let i = 0; i < 100 && !frames.some((f) => f.includes("connection_ack")); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.send(JSON.stringify({ id: "op", type: "subscribe", payload: { query: STATE_SUBSCRIPTION, variables } }));
    return { frames, socket };
  }

  const payloads = (frames: string[]) => frames.filter((f) => f.includes('"next"')).map((f) => f.slice(f.indexOf('"payload":')));

  it("sends every socket watching a recording its own snapshot first, then the same CHANGE bytes, whatever the roles", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const watchers = await Promise.all([s.manager, s.manager, s.compliance].map((u) => rawSubscriber(u.token, { recordingId })));
    for (let i = 0; i < 100 && watchers.some((w) => payloads(w.frames).length < 1); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    for (let i = 0; i < 100 && watchers.some((w) => payloads(w.frames).length < 2); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const [a, b, c] = watchers.map((w) => payloads(w.frames));
    expect(JSON.parse(a[0].slice(10, -1)).data.recordingStateChanged.kind).toBe("SNAPSHOT");
    expect(JSON.parse(a[1].slice(10, -1)).data.recordingStateChanged).toMatchObject({ kind: "CHANGE", state: "PAUSED", sequence: 2 });
    expect(b[1]).toBe(a[1]);
    expect(c[1]).toBe(a[1]);
    for (const w of watchers) w.socket.terminate();
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
