/**
 * SIGTERM while a call is streaming: the real service process stops accepting, finishes the live media
 * session (MP3 committed, recording settled), closes the gateway's socket with 1001 (going away), closes
 * Redis and the database and exits 0 within SHUTDOWN_TIMEOUT_MS — on SQLite, on the test database
 * (MariaDB by default) and on the test database with Redis.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { TokenService } from "../src/auth/token.service";
import { CustomerEntity } from "../src/customers/customer.entity";
import { openDataSource } from "../src/database/data-source";
import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { UserEntity } from "../src/users/user.entity";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { AppProcess, buildApp, serviceDatabase } from "./support/app-process";
import { createTestDatabase, TestDatabase } from "./support/test-database";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const JWT_SECRET = "shutdown-test-secret-long-enough-for-hs256-000";
const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const SHUTDOWN_TIMEOUT_MS = 10_000;
const FRAME_MS = 20;

interface Setup {
  name: string;
  database: () => Promise<TestDatabase>;
  env: Record<string, string>;
}

const sqlite = async (): Promise<TestDatabase> => ({ kind: "sqlite", config: { kind: "sqlite", file: "" }, drop: async () => undefined });
const setups: Setup[] = [
  { name: "SQLite", database: sqlite, env: {} },
  ...(process.env.TEST_DATABASE === "sqlite"
    ? []
    : [
        { name: "the test database (MariaDB)", database: createTestDatabase, env: {} },
        { name: "the test database (MariaDB) with Redis", database: createTestDatabase, env: { REDIS_URL } },
      ]),
  ...(process.env.TEST_DATABASE === "sqlite" ? [{ name: "SQLite with Redis", database: sqlite, env: { REDIS_URL } }] : []),
];

beforeAll(() => buildApp(), 60_000);

describe.each(setups)("SIGTERM on $name with a call streaming", ({ database: makeDatabase, env }) => {
  let database: TestDatabase;
  let dataDir: string;
  let service: AppProcess;
  let db: DataSource;

  beforeAll(async () => {
    database = await makeDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-shutdown-"));
    service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env: { SEED_DEMO: "true", SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env } });
    db = await openDataSource(serviceDatabase(database, dataDir));
  }, 60_000);

  afterAll(async () => {
    await service?.kill();
    await db?.destroy();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 0 within the timeout, closes the stream with 1001, and the recording is AVAILABLE after the restart", async () => {
    const telephony = await db.getRepository(UserEntity).findOneByOrFail({ email: "telephony@callvault.test" });
    const bob = await db.getRepository(UserEntity).findOneByOrFail({ email: "bob@callvault.test" });
    const customer = (await db.getRepository(CustomerEntity).find())[0];
    const tokens = TokenService.create({ mode: "secret", secret: JWT_SECRET, issuer: "callvault", audience: "callvault" }, dataDir);

    // The gateway starts the call itself (customerId + agentId) and streams in real time.
    const stream = await TwilioStreamClient.connect(service.url, TwilioStreamClient.bearer(await tokens.mint(telephony.id)));
    stream.start({ customerId: customer.id, agentId: bob.id });
    const frames = interleave(trackFrames("inbound", 20_000, [{ fromMs: 0, toMs: 20_000, frequencyHz: 440, amplitude: 8000 }]), trackFrames("outbound", 20_000, []));
    let next = 0;
    const pacer = setInterval(() => {
      stream.sendFrames(frames.slice(next, next + 2));
      next += 2;
    }, FRAME_MS);
    let recordingId: string | undefined;
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const recording = await db.getRepository(RecordingEntity).findOneBy({ agentId: bob.id, state: "RECORDING" as RecordingEntity["state"] });
        recordingId = recording?.id;
        if (recordingId && next >= 1000 / FRAME_MS && (await db.getRepository(RecordingMediaEntity).findOneBy({ recordingId }))?.status === MediaStatus.WRITING) break;
        if (Date.now() > deadline) throw new Error(`the ingest never started:\n${service.output}`);
        await sleep(50);
      }
      const signalledAt = Date.now();
      const exit = await service.stop(SHUTDOWN_TIMEOUT_MS + 5_000);
      const tookMs = Date.now() - signalledAt;
      expect({ exit, output: exit.code === 0 ? "" : service.output }).toEqual({ exit: { code: 0, signal: null }, output: "" });
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expect((await stream.closed).code).toBe(1001);
    } finally {
      clearInterval(pacer);
      stream.terminate();
    }

    // Settled by the shutdown itself: the row is STORED and the recording AVAILABLE before anything restarts.
    expect(await db.getRepository(RecordingMediaEntity).findOneBy({ recordingId })).toMatchObject({ status: MediaStatus.STORED });
    expect(await db.getRepository(RecordingEntity).findOneBy({ id: recordingId })).toMatchObject({ state: "AVAILABLE" });

    service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env });
    expect(await db.getRepository(RecordingEntity).findOneBy({ id: recordingId })).toMatchObject({ state: "AVAILABLE" });
    const media = await db.getRepository(RecordingMediaEntity).findOneByOrFail({ recordingId });
    expect(media.status).toBe(MediaStatus.STORED);
    expect(fs.existsSync(path.join(dataDir, "media", "objects", media.objectKey))).toBe(true);
    expect(await service.stop(SHUTDOWN_TIMEOUT_MS + 5_000)).toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe("a second signal during the shutdown", () => {
  it("exits at once (1) instead of waiting for what is still draining", async () => {
    const database = await sqlite();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-shutdown-"));
    const service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env: { SHUTDOWN_TIMEOUT_MS: "20000" } });
    // A request whose body never finishes: the drain gives it 5 s.
    const { port } = new URL(service.url);
    const stuck = net.connect(Number(port), "127.0.0.1");
    stuck.on("error", () => undefined);
    await new Promise((resolve) => stuck.once("connect", resolve));
    stuck.write("POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
    try {
      await sleep(200);
      service.signal("SIGTERM");
      const deadline = Date.now() + 5000;
      while (!/shutting down/.test(service.output) && Date.now() < deadline) await sleep(20);
      expect(service.running).toBe(true);
      const signalledAt = Date.now();
      service.signal("SIGTERM");
      expect(await service.exited).toEqual({ code: 1, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(2000);
    } finally {
      stuck.destroy();
      await service.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
