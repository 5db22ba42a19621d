import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { MediaStoreConfig } from "../../src/config/config";
import { createS3Client } from "../../src/storage/open-object-store";
// s3rver ships no types; what the tests use is typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };

/** s3rver's built-in account: what the SDK signs with, and what the server checks. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

export interface TestS3Server {
  endpoint: string;
  /** A new empty bucket; every test gets its own. */
  createBucket(): Promise<string>;
  storeConfig(bucket: string, prefix?: string): Extract<MediaStoreConfig, { kind: "s3" }>;
  /** The AWS environment a service process needs to reach this server. */
  env(bucket: string, prefix?: string): Record<string, string>;
  client(): S3Client;
  close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) on 127.0.0.1, port 0, backed by a temporary directory. The SDK talks to
 * it over HTTP exactly as to S3; nothing of the SDK is mocked.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // The SDK's default credential chain reads these; the service under test uses the same chain.
  Object.assign(process.env, S3RVER_CREDENTIALS);
  const storeConfig = (bucket: string, prefix = "") => ({ kind: "s3" as const, bucket, prefix, region: "us-east-1", endpoint, forcePathStyle: true });
  const client = () => createS3Client(storeConfig("unused"));
  const admin = client();
  return {
    endpoint,
    async createBucket() {
      const bucket = `callvault-${randomBytes(6).toString("hex")}`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    storeConfig,
    env: (bucket, prefix = "") => ({
      ...S3RVER_CREDENTIALS,
      MEDIA_STORE_URL: `s3://${bucket}/${prefix}`,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_S3: endpoint,
      S3_FORCE_PATH_STYLE: "true",
    }),
    client,
    async close() {
      admin.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
