import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createConnection } from "mysql2/promise";
import type { DatabaseConfig } from "../../src/config/config";

export interface TestDatabase {
  config: DatabaseConfig;
  kind: "mysql" | "sqlite";
  drop(): Promise<void>;
}

/**
 * A fresh database per test file: on MariaDB/MySQL (the default; TEST_MYSQL_URL, root@127.0.0.1:3306) a new
 * schema that is dropped afterwards, or with TEST_DATABASE=sqlite a new SQLite file.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-test-"));
    return {
      kind: "sqlite",
      config: { kind: "sqlite", file: path.join(dir, "test.sqlite") },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = new URL(process.env.TEST_MYSQL_URL || "mysql://root@127.0.0.1:3306");
  const name = `callvault_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const connect = () =>
    createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username || "root"),
      password: decodeURIComponent(server.password),
    });
  const admin = await connect().catch((error) => {
    throw new Error(`MariaDB/MySQL is not reachable at ${server.host} (${error.message}); start it, set TEST_MYSQL_URL, or run with TEST_DATABASE=sqlite`);
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    kind: "mysql",
    config: { kind: "mysql", url: url.toString() },
    drop: async () => {
      const conn = await connect();
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
