import { CHECKPOINT_ALGORITHM, keyIdOf, SignedCheckpoint, verifyCheckpointSignature } from "./audit-checkpoint-signer";
import { AUDIT_EXPORT_FORMAT } from "./audit-export-format";
import { GENESIS_HASH, hashAuditEntry } from "./audit-hash";

export interface ExportVerification {
  valid: boolean;
  entries: number;
  checkpoints: number;
  latestCheckpointPosition: number | null;
  keyId: string | null;
  /** True when the key came from the export itself rather than from the caller: compare keyId with your own copy. */
  keyFromExport: boolean;
  problems: string[];
}

const MAX_PROBLEMS = 20;

/**
 * Checks an audit export with nothing but the file (and, ideally, the public key kept elsewhere): recomputes
 * every entry's hash and link, checks every checkpoint's signature and that the chain passes through it, and
 * that the file is complete. Fed line by line, so any size streams through in constant memory (bar the
 * checkpoints). No database, no network, no secret.
 */
export class AuditExportVerifier {
  private publicKey: Buffer | undefined;
  private keyFromExport = false;
  private headerSeen = false;
  private ended = false;
  private declaredEntries: number | null = null;
  private readonly checkpointHashes = new Map<number, string>();
  private checkpointCount = 0;
  private expectedPosition = 1;
  private prevHash = GENESIS_HASH;
  private lineNumber = 0;
  private readonly problems: string[] = [];

  constructor(trustedPublicKey?: Buffer) {
    this.publicKey = trustedPublicKey;
  }

  accept(text: string): void {
    this.lineNumber++;
    if (text.trim() === "") return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(text);
    } catch {
      return this.problem(`line ${this.lineNumber} is not JSON`);
    }
    if (this.ended) return this.problem(`line ${this.lineNumber} comes after the end line`);
    if (!this.headerSeen && record.type !== "header") return this.problem(`line ${this.lineNumber}: the export must start with its header`);
    switch (record.type) {
      case "header":
        return this.header(record);
      case "checkpoint":
        return this.checkpoint(record as unknown as SignedCheckpoint);
      case "entry":
        return this.entry(record);
      case "end":
        return this.end(record);
      default:
        return this.problem(`line ${this.lineNumber} has an unknown type ${JSON.stringify(record.type)}`);
    }
  }

  finish(): ExportVerification {
    if (!this.headerSeen) this.problem("the export has no header");
    if (!this.ended) this.problem("the export has no end line: it is cut off");
    const last = this.expectedPosition - 1;
    for (const position of this.checkpointHashes.keys()) {
      if (position > last) this.problem(`checkpoint at ${position} is beyond the last entry ${last}: entries were removed (truncated)`);
    }
    const positions = [...this.checkpointHashes.keys()];
    return {
      valid: this.problems.length === 0,
      entries: last,
      checkpoints: this.checkpointCount,
      latestCheckpointPosition: positions.length ? Math.max(...positions) : null,
      keyId: this.publicKey ? keyIdOf(this.publicKey) : null,
      keyFromExport: this.keyFromExport,
      problems: this.problems,
    };
  }

  private header(record: Record<string, unknown>): void {
    if (this.headerSeen) return this.problem(`line ${this.lineNumber}: a second header`);
    this.headerSeen = true;
    if (record.format !== AUDIT_EXPORT_FORMAT) this.problem(`not a ${AUDIT_EXPORT_FORMAT} file`);
    this.declaredEntries = typeof record.entries === "number" ? record.entries : null;
    if (!this.publicKey && typeof record.publicKey === "string") {
      this.publicKey = Buffer.from(record.publicKey, "base64");
      this.keyFromExport = true;
    }
  }

  private checkpoint(checkpoint: SignedCheckpoint): void {
    this.checkpointCount++;
    if (checkpoint.algorithm !== CHECKPOINT_ALGORITHM) return this.problem(`checkpoint at ${checkpoint.position} uses ${checkpoint.algorithm}`);
    if (!this.publicKey || !verifyCheckpointSignature(checkpoint, this.publicKey)) {
      return this.problem(`checkpoint at ${checkpoint.position}: the signature does not verify with key ${this.publicKey ? keyIdOf(this.publicKey) : "(none)"}`);
    }
    if (this.expectedPosition > checkpoint.position) return this.problem(`checkpoint at ${checkpoint.position} comes after its entries`);
    this.checkpointHashes.set(checkpoint.position, checkpoint.hash);
  }

  private entry(record: Record<string, unknown>): void {
    const position = record.position as number;
    if (position !== this.expectedPosition) {
      this.problem(`expected entry ${this.expectedPosition}, found ${String(position)}: entries are missing or out of order`);
      this.expectedPosition = typeof position === "number" ? position : this.expectedPosition;
    }
    const recomputed = recomputeHash(record);
    if (recomputed === null) this.problem(`entry ${String(position)} is malformed`);
    if (record.prevHash !== this.prevHash) this.problem(`entry ${position} does not link to the entry before it`);
    if (recomputed !== null && recomputed !== record.hash) this.problem(`entry ${position}: its content does not match its hash`);
    const checkpointHash = this.checkpointHashes.get(position);
    if (checkpointHash !== undefined && checkpointHash !== record.hash) this.problem(`entry ${position} differs from the checkpoint signed at that position`);
    this.prevHash = record.hash as string;
    this.expectedPosition++;
  }

  private end(record: Record<string, unknown>): void {
    this.ended = true;
    const last = this.expectedPosition - 1;
    if (record.entries !== last || this.declaredEntries !== last) this.problem(`the export declares ${String(record.entries)} entries but holds ${last}`);
    if (record.checkpoints !== this.checkpointCount) this.problem(`the export declares ${String(record.checkpoints)} checkpoints but holds ${this.checkpointCount}`);
  }

  private problem(message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(message);
    else if (this.problems.length === MAX_PROBLEMS) this.problems.push("… further problems not listed");
  }
}

/** The entry's hash recomputed from its fields, or null when the fields are not an entry's. */
function recomputeHash(record: Record<string, unknown>): string | null {
  try {
    return hashAuditEntry({
      position: record.position as number,
      occurredAt: new Date(record.occurredAt as string),
      actorId: record.actorId as string | null,
      actorRoles: record.actorRoles as string[],
      action: record.action as string,
      targetType: record.targetType as string,
      targetId: record.targetId as string,
      details: record.details as Record<string, unknown>,
      requestId: record.requestId as string,
      prevHash: record.prevHash as string,
    });
  } catch {
    return null;
  }
}
