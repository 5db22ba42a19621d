/**
 * The reference: a bare graphql-ws + graphql-js server with the same schema shape as callvault's control plane
 * (pauseRecording/resumeRecording over HTTP POST, recordingStateChanged over graphql-ws: a SNAPSHOT, then each
 * CHANGE), state in memory, subscribers kept in a map by what they watch, graphql-js executing every event
 * for every subscriber as it does by default. No database, no authentication: the floor to compare against.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, graphql, GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { answerCpuRequests } from "./measured-window";
import type { BenchTarget, ServerMessage } from "./protocol";

const SDL = /* GraphQL */ `
  enum RecordingState { RECORDING PAUSED PROCESSING AVAILABLE FAILED DELETED }
  enum ControlSource { AGENT_UI API SYSTEM }
  enum RecordingStreamKind { SNAPSHOT CHANGE }
  type PauseHold { id: ID! holderId: ID! holdKey: String reason: String source: ControlSource! createdAt: String! }
  type RecordingStateChange {
    kind: RecordingStreamKind! recordingId: ID callId: ID agentId: ID customerId: ID sequence: Int
    previousState: RecordingState state: RecordingState actorId: ID source: ControlSource
    activeHolds: [PauseHold!]! occurredAt: String! effectiveAt: String
  }
  type Recording { id: ID! state: RecordingState! sequence: Int! activeHolds: [PauseHold!]! }
  input PauseRecordingInput { agentId: ID recordingId: ID holdKey: String reason: String }
  input ResumeRecordingInput { agentId: ID recordingId: ID holdKey: String reason: String force: Boolean }
  type Query { health: Boolean }
  type Mutation { pauseRecording(input: PauseRecordingInput!): Recording! resumeRecording(input: ResumeRecordingInput!): Recording! }
  type Subscription { recordingStateChanged(agentId: ID, recordingId: ID, customerId: ID): RecordingStateChange! }
`;

interface Recording {
  id: string;
  callId: string;
  agentId: string;
  customerId: string;
  state: "RECORDING" | "PAUSED";
  sequence: number;
  activeHolds: { id: string; holderId: string; holdKey: string | null; reason: string | null; source: string; createdAt: string }[];
}

/** A push-fed async iterator per subscriber. */
class Queue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  constructor(private readonly onClose: () => void) {}
  push(item: T) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }
  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift() as T, done: false });
    return new Promise((resolve) => (this.waiting = resolve));
  }
  return(): Promise<IteratorResult<T>> {
    this.onClose();
    this.waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

async function main() {
  const agentCount = Number(process.argv[2] ?? 1000);
  const recordings = new Map<string, Recording>();
  const byAgent = new Map<string, Recording>();
  const agents: BenchTarget["agents"] = [];
  for (let i = 0; i < agentCount; i++) {
    const recording: Recording = { id: `rec-${i}`, callId: `call-${i}`, agentId: `agent-${i}`, customerId: "customer-1", state: "RECORDING", sequence: 1, activeHolds: [] };
    recordings.set(recording.id, recording);
    byAgent.set(recording.agentId, recording);
    agents.push({ id: recording.agentId, token: `token-${i}`, recordingId: recording.id });
  }
  const watchers = new Map<string, Set<Queue<unknown>>>();
  const publish = (event: Record<string, unknown>) => {
    for (const key of [`agent:${event.agentId}`, `recording:${event.recordingId}`, `customer:${event.customerId}`]) for (const q of watchers.get(key) ?? []) q.push(event);
  };
  const target = (input: { agentId?: string; recordingId?: string }) => (input.agentId ? byAgent.get(input.agentId) : recordings.get(input.recordingId ?? ""))!;
  const change = (recording: Recording, state: Recording["state"], userId: string) => {
    const previousState = recording.state;
    recording.state = state;
    recording.sequence++;
    recording.activeHolds = state === "PAUSED" ? [{ id: `hold-${recording.sequence}`, holderId: userId, holdKey: null, reason: null, source: "AGENT_UI", createdAt: new Date().toISOString() }] : [];
    const at = new Date().toISOString();
    publish({ kind: "CHANGE", ...recording, recordingId: recording.id, previousState, actorId: userId, source: "AGENT_UI", occurredAt: at, effectiveAt: at });
    return recording;
  };
  const root = {
    pauseRecording: ({ input }: { input: { agentId?: string; recordingId?: string } }) => change(target(input), "PAUSED", "user"),
    resumeRecording: ({ input }: { input: { agentId?: string; recordingId?: string } }) => change(target(input), "RECORDING", "user"),
  };
  const schema: GraphQLSchema = buildSchema(SDL);
  const subscriptionField = schema.getSubscriptionType()!.getFields().recordingStateChanged;
  subscriptionField.subscribe = (_source, args: { agentId?: string; recordingId?: string; customerId?: string }) => {
    const key = args.agentId ? `agent:${args.agentId}` : args.recordingId ? `recording:${args.recordingId}` : `customer:${args.customerId}`;
    const set = watchers.get(key) ?? new Set();
    watchers.set(key, set);
    const queue = new Queue<unknown>(() => set.delete(queue));
    set.add(queue);
    const current = args.agentId ? byAgent.get(args.agentId) : args.recordingId ? recordings.get(args.recordingId) : undefined;
    queue.push({ kind: "SNAPSHOT", ...current, recordingId: current?.id, previousState: null, occurredAt: new Date().toISOString() });
    return queue;
  };
  subscriptionField.resolve = (event) => event;

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const { query, variables } = JSON.parse(body);
      const result = await graphql({ schema, source: query, variableValues: variables, rootValue: root });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(result));
    });
  });
  useServer({ schema }, new WebSocketServer({ server, path: "/graphql" }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const ready: ServerMessage = {
    kind: "ready",
    target: { url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, managerToken: "manager", agents },
  };
  process.send!(ready);
  process.on("disconnect", () => process.exit(0));
  answerCpuRequests("bare");
}

void main();
