import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DataSource } from "typeorm";
import { TokenService } from "../../src/auth/token.service";
import { openDataSource } from "../../src/database/data-source";
import { UserEntity } from "../../src/users/user.entity";
import { AppProcess, buildApp, serviceDatabase } from "./app-process";
import { gql } from "./graphql-client";
import { createTestDatabase, TestDatabase } from "./test-database";

const JWT_SECRET = "process-scenario-secret-long-enough-for-hs256";

export interface ProcessScenario {
  service: AppProcess;
  database: TestDatabase;
  dataDir: string;
  /** The test's own connection, to read what the service left behind. */
  db: DataSource;
  tokens: { gateway: string; compliance: string; agent: string };
  agentId: string;
  customerId: string;
  api<T = any>(query: string, variables: Record<string, unknown>, token: string, url?: string): Promise<T>;
  /** SIGKILL (if running) and start again on the same data directory and database. */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real service as its own process on a fresh database, with a gateway (API_USER), a Compliance
 * Administrator, an agent and a customer created through the API (the demo seed supplies the first admin).
 */
export async function startProcessScenario(env: Record<string, string> = {}): Promise<ProcessScenario> {
  await buildApp();
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-process-"));
  let service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env: { SEED_DEMO: "true", ...env } });
  const db = await openDataSource(serviceDatabase(database, dataDir));
  const api = async (query: string, variables: Record<string, unknown>, token: string, url = service.url) => {
    const response = await gql(url, query, variables, token);
    if (response.errors) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
    return response.data as any;
  };
  const minter = TokenService.create({ mode: "secret", secret: JWT_SECRET, issuer: "callvault", audience: "callvault" }, dataDir);
  const admin = await db.getRepository(UserEntity).findOneByOrFail({ email: "admin@callvault.test" });
  const adminToken = await minter.mint(admin.id);
  const createUser = async (email: string, roles: string[]) =>
    (await api(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { email, displayName: email, roles } }, adminToken)).createUser.id as string;
  const gateway = await minter.mint(await createUser("gateway@process.test", ["API_USER"]));
  const compliance = await minter.mint(await createUser("compliance@process.test", ["COMPLIANCE_ADMINISTRATOR"]));
  const agentId = await createUser("agent@process.test", ["AGENT"]);
  const agent = await minter.mint(agentId);
  const customerId = (await api(`mutation { createCustomer(input: { name: "Process Customer" }) { id } }`, {}, gateway)).createCustomer.id;
  const scenario: ProcessScenario = {
    get service() {
      return service;
    },
    database,
    dataDir,
    db,
    tokens: { gateway, compliance, agent },
    agentId,
    customerId,
    api,
    async restart(restartEnv = {}) {
      await service.kill();
      service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env: { ...env, ...restartEnv } });
    },
    async close() {
      await service.kill();
      await db.destroy();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return scenario;
}
