import { Between, DataSource, MoreThan } from "typeorm";
import type { AuditCheckpointService } from "./audit-checkpoint.service";
import { AuditCheckpointEntity } from "./audit-checkpoint.entity";
import { AuditEntryEntity } from "./audit-entry.entity";
import type { ChainedAuditEntry } from "./audit.service";
import { AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_VERSION } from "./audit-export-format";

const BATCH = 1000;

/**
 * The whole log as NDJSON, one JSON object a line: a header (with the checkpoint public key), every checkpoint
 * up to the exported head, every entry in order (each with all the fields its hash covers), and an end line
 * with the counts, so a cut-off file is told apart from a complete one. Checkpoints come before the entries so
 * a verifier can compare them while streaming. Rows are read in batches: memory stays flat for any log size.
 */
export async function* auditExportLines(dataSource: DataSource, checkpoints: AuditCheckpointService, now = new Date()): AsyncGenerator<string> {
  const entries = dataSource.getRepository(AuditEntryEntity);
  // Checkpoints are bounded before the head is read: one signed meanwhile is left out, while one beyond a head
  // that was rewound (entries deleted) is exported, and the verifier reports the truncation.
  const checkpointsUpTo = (await checkpoints.latest())?.position ?? 0;
  const upTo = (await checkpoints.head()).position;
  const { signer } = checkpoints;
  yield line({
    type: "header",
    format: AUDIT_EXPORT_FORMAT,
    version: AUDIT_EXPORT_VERSION,
    exportedAt: now.toISOString(),
    entries: upTo,
    algorithm: "Ed25519",
    keyId: signer.keyId,
    publicKey: signer.publicKeyBase64,
  });

  let checkpointCount = 0;
  for (let after = 0; after < checkpointsUpTo; ) {
    const batch = await dataSource.getRepository(AuditCheckpointEntity).find({
      where: { position: Between(after + 1, checkpointsUpTo) },
      order: { position: "ASC" },
      take: BATCH,
    });
    for (const checkpoint of batch) {
      yield line({ type: "checkpoint", ...checkpoint, signedAt: checkpoint.signedAt.toISOString() });
      checkpointCount++;
    }
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1].position;
  }

  for (let after = 0; after < upTo; ) {
    const batch = (await entries.find({ where: { position: MoreThan(after) }, order: { position: "ASC" }, take: BATCH })) as ChainedAuditEntry[];
    for (const entry of batch) {
      if (entry.position > upTo) break;
      // Exactly the fields the hash covers (the row id is the sequencer's ordering key, not content).
      const { id: _rowId, ...hashed } = entry;
      yield line({ type: "entry", ...hashed, occurredAt: entry.occurredAt.toISOString() });
    }
    if (batch.length === 0) break;
    after = batch[batch.length - 1].position;
  }
  yield line({ type: "end", entries: upTo, checkpoints: checkpointCount });
}

const line = (value: Record<string, unknown>) => `${JSON.stringify(value)}\n`;
