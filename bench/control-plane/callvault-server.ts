/**
 * callvault itself for the control-plane bench: the real app (HTTP, graphql-ws, services, database) in this
 * process, seeded with a manager, a customer and N agents each on a live call. Argument: agents, then
 * "sqlite" (embedded, the default) or a mysql:// server URL (a scratch database is created and dropped).
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createConnection } from "mysql2/promise";
import { createApp } from "../../src/app";
import { Role } from "../../src/auth/role";
import type { Viewer } from "../../src/auth/viewer";
import { loadConfig } from "../../src/config/config";
import { groupCommitStats } from "../../src/database/raw-sql";
import { answerCpuRequests } from "./measured-window";
import type { BenchTarget, ServerMessage } from "./protocol";

async function main() {
  const agentCount = Number(process.argv[2] ?? 1000);
  const databaseArg = process.argv[3] ?? "sqlite";
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-bench-"));
  let dropDatabase = async () => undefined as unknown;
  let databaseUrl: string | undefined;
  if (databaseArg.startsWith("mysql://")) {
    const name = `callvault_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
    const admin = await createConnection(databaseArg);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    databaseUrl = `${databaseArg.replace(/\/$/, "")}/${name}`;
    dropDatabase = async () => {
      const c = await createConnection(databaseArg);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    };
  }
  const app = await createApp(
    loadConfig({
      NODE_ENV: "production",
      PORT: "0",
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      JWT_SECRET: randomBytes(32).toString("hex"),
      MASTER_KEY: randomBytes(32).toString("base64"),
      SEED_DEMO: "false",
    }),
    { host: "127.0.0.1", log: (message, error) => console.error(message, error ?? "") },
  );
  const { users, tokens, customers, calls } = app.services;
  const user = async (roles: Role[], name: string) => {
    const created = await users.create(undefined, "bench", { email: `${name}@bench.example`, displayName: name, roles });
    return { id: created.id, viewer: (await users.loadViewer(created.id)) as Viewer, token: await tokens.mint(created.id) };
  };
  const manager = await user([Role.TEAM_MANAGER], "manager");
  const telephony = await user([Role.API_USER], "telephony");
  const customer = await customers.create(telephony.viewer, "bench", "Bench Customer");
  const agents: BenchTarget["agents"] = [];
  for (let start = 0; start < agentCount; start += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, agentCount - start) }, async (_, j) => {
        const agent = await user([Role.AGENT], `agent-${start + j}`);
        const { recording } = await calls.start(telephony.viewer, "bench", { customerId: customer.id, agentRef: agent.id });
        return { id: agent.id, token: agent.token, recordingId: recording.id };
      }),
    );
    agents.push(...batch);
  }
  const port = app.server.port;
  const ready: ServerMessage = {
    kind: "ready",
    target: { url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, managerToken: manager.token, agents },
  };
  process.send!(ready);
  answerCpuRequests("callvault", () => groupCommitStats(app.services.dataSource));
  process.on("disconnect", async () => {
    await app.close().catch(() => undefined);
    await dropDatabase().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
