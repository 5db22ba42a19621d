/**
 * GET /metrics (Prometheus) reports what an operator pages on, only to a holder of METRICS_TOKEN; without
 * METRICS_TOKEN it does not exist.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { buildTwilioMediaMessage } from "../src/media/twilio-media-message";
import { trackFrames } from "./media/support/synthetic-call";
import { gql } from "./support/graphql-client";
import { PAUSE, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const METRICS_TOKEN = "metrics-test-token-0123456789";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp({ operations: { metricsToken: METRICS_TOKEN } })));
afterAll(() => t.close());

const metricsUrl = (app: TestApp) => new URL("/metrics", app.url).toString();
const scrape = async (app: TestApp, authorization?: string) => fetch(metricsUrl(app), { headers: authorization ? { authorization } : {} });

/** The value of one sample, e.g. value(text, 'callvault_media_frames_total{verdict="dropped"}'). */
function value(exposition: string, sample: string): number {
  const line = exposition.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : NaN;
}

describe("/metrics", () => {
  it("401 without the token or with a wrong one", async () => {
    expect((await scrape(t)).status).toBe(401);
    expect((await scrape(t, "Bearer wrong-token-0123456789xx")).status).toBe(401);
    expect((await scrape(t, METRICS_TOKEN)).status).toBe(401);
  });

  it("404 when METRICS_TOKEN is not set", async () => {
    const off = await startTestApp();
    try {
      expect((await scrape(off, `Bearer ${METRICS_TOKEN}`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it("reports the live call, the dropped and rejected frames of a malformed stream, the pause latency and the event loop", async () => {
    const bearer = `Bearer ${METRICS_TOKEN}`;
    const before = await (await scrape(t, bearer)).text();
    expect(value(before, "callvault_live_calls")).toBe(0);

    const { callId, recordingId } = await startCall(t, s);
    const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
    stream.start({ callId });
    const frames = trackFrames("inbound", 200, []);
    stream.sendFrames(frames);
    stream.sendFrames(frames.slice(0, 5)); // the same frames again: dropped as duplicates or late
    stream.send({ event: "media", media: { track: "inbound", timestamp: "200", payload: "%%%not base64%%%" } }); // rejected
    stream.send(buildTwilioMediaMessage({ ...frames[0], timestampMs: 10 * 60_000 }, stream.streamSid, 99)); // refused: far ahead
    await stream.flushed();
    await gql(t.url, PAUSE, { input: { recordingId } }, s.manager.token);
    await sleep(300);

    const response = await scrape(t, bearer);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    let during = await response.text();
    // The pipeline judges frames on its worker thread and reports its verdicts a moment later.
    for (let tries = 0; tries < 40 && Number.isNaN(value(during, 'callvault_media_frames_total{verdict="dropped"}')); tries++) {
      await sleep(50);
      during = await (await scrape(t, bearer)).text();
    }
    expect(value(during, "callvault_live_calls")).toBe(1);
    expect(value(during, 'callvault_media_frames_total{verdict="accepted"}')).toBeGreaterThanOrEqual(frames.length);
    expect(value(during, 'callvault_media_frames_total{verdict="dropped"}')).toBe(5);
    expect(value(during, 'callvault_media_frames_total{verdict="rejected"}')).toBe(1);
    expect(value(during, 'callvault_media_frames_total{verdict="refused"}')).toBe(1);
    expect(value(during, "callvault_pause_event_latency_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(value(during, "callvault_subscription_connections")).toBe(0);
    expect(value(during, "callvault_sweeper_backlog")).toBe(0);
    expect(during).toMatch(/^callvault_nodejs_eventloop_lag_seconds /m);
    expect(during).toMatch(/^callvault_download_bytes_total /m);
    expect(during).toMatch(/^callvault_leaked_paused_ms_total /m);

    stream.stop();
    await stream.closed;
    expect(value(await (await scrape(t, bearer)).text(), "callvault_live_calls")).toBe(0);
  });
});
