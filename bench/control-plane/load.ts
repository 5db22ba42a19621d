import http from "node:http";
import WebSocket from "ws";
import type { BenchTarget } from "./protocol";

const SUBSCRIPTION = `subscription Watch($agentId: ID, $recordingId: ID) {
  recordingStateChanged(agentId: $agentId, recordingId: $recordingId) {
    kind recordingId agentId sequence previousState state actorId source activeHolds { holderId holdKey reason source createdAt } occurredAt
  }
}`;
const PAUSE = `mutation($input: PauseRecordingInput!) { pauseRecording(input: $input) { id state sequence } }`;
const RESUME = `mutation($input: ResumeRecordingInput!) { resumeRecording(input: $input) { id state sequence } }`;

export interface Delivery {
  socket: number;
  recordingId: string;
  sequence: number;
  at: number;
}

/** Real sockets speaking graphql-transport-ws; each CHANGE is reported with its arrival time. */
export class Subscribers {
  private readonly sockets: WebSocket[] = [];
  /** When unset (the throughput runs), CHANGE messages are received but not parsed: the generator shares the cores. */
  onChange: ((delivery: Delivery) => void) | undefined;

  static async open(target: BenchTarget, count: number, watch: (i: number) => { token: string; variables: Record<string, string> }): Promise<Subscribers> {
    const subscribers = new Subscribers();
    for (let start = 0; start < count; start += 200) {
      await Promise.all(Array.from({ length: Math.min(200, count - start) }, (_, j) => subscribers.connect(target, start + j, watch(start + j))));
    }
    return subscribers;
  }

  private connect(target: BenchTarget, index: number, watch: { token: string; variables: Record<string, string> }): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(target.wsUrl, "graphql-transport-ws");
      this.sockets.push(socket);
      socket.on("error", reject);
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${watch.token}` } })));
      let subscribed = false;
      socket.on("message", (data) => {
        if (subscribed && !this.onChange) return;
        const message = JSON.parse(data.toString());
        if (message.type === "connection_ack") socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION, variables: watch.variables } }));
        else if (message.type === "next") {
          const change = message.payload.data?.recordingStateChanged;
          if (change?.kind === "SNAPSHOT") {
            subscribed = true;
            resolve();
          } else if (change) this.onChange?.({ socket: index, recordingId: change.recordingId, sequence: change.sequence, at: performance.now() });
        } else if (message.type === "error") reject(new Error(JSON.stringify(message.payload)));
      });
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, token: string, query: string, variables: unknown): Promise<{ data?: Record<string, { sequence: number }>; errors?: unknown[] }> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve(JSON.parse(text)));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** Pauses or resumes an agent's recording (as the agent); returns the new sequence. */
export async function toggle(target: BenchTarget, agentIndex: number, pause: boolean): Promise<number> {
  const a = target.agents[agentIndex];
  const result = await post(target.url, a.token, pause ? PAUSE : RESUME, { input: { recordingId: a.recordingId } });
  const recording = result.data?.[pause ? "pauseRecording" : "resumeRecording"];
  if (!recording) throw new Error(`mutation failed: ${JSON.stringify(result.errors)}`);
  return recording.sequence;
}

export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
