import { S3Client } from "@aws-sdk/client-s3";
import type { MediaStoreConfig } from "../config/config";
import { FilesystemObjectStore } from "./filesystem-object-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore, S3StoreOptions } from "./s3-object-store";

/** Requests to a dead endpoint fail in seconds, not after the SDK's default minutes. */
const CONNECTION_TIMEOUT_MS = 5_000;

export function createS3Client(config: Extract<MediaStoreConfig, { kind: "s3" }>): S3Client {
  return new S3Client({
    // Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, IAM roles).
    region: config.region ?? "us-east-1",
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // S3-compatible servers (MinIO, Ceph, s3rver) do not all speak the newer default checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: 60_000 },
  });
}

/** The configured store, checked at start: a missing or unreachable bucket stops the start. */
export async function openObjectStore(config: MediaStoreConfig, options: S3StoreOptions = {}): Promise<ObjectStore> {
  if (config.kind === "filesystem") return new FilesystemObjectStore(config.root);
  const store = new S3ObjectStore(createS3Client(config), { bucket: config.bucket, prefix: config.prefix }, options);
  await store.assertReachable();
  return store;
}
