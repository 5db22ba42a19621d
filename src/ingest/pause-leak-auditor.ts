import { AuditAction } from "../audit/audit-action";
import type { AuditService } from "../audit/audit.service";
import type { TransactionRunner } from "../database/transaction";
import type { PauseLeak } from "./live-media-session";

/**
 * Paused audio that got past the cutter (its pause arrived after the hold-back window) is a compliance fact,
 * not just a log line: it goes into the audit log so a Compliance Administrator can find, redact or delete it.
 */
export function auditPauseLeaks(transactions: TransactionRunner, audit: AuditService, log: (message: string, error?: unknown) => void) {
  return (leak: PauseLeak): void => {
    log(`recording ${leak.recordingId}: a pause arrived late; ${leak.leakedMs} ms of paused audio was recorded`);
    void transactions
      .run((uow) =>
        audit.append(uow, {
          actor: undefined,
          action: AuditAction.PAUSE_APPLIED_LATE,
          targetType: "RECORDING",
          targetId: leak.recordingId,
          details: { leakedMs: Math.round(leak.leakedMs), pauseOffsetMs: Math.round(leak.pauseOffsetMs) },
          requestId: "media-pipeline",
        }),
      )
      .catch((error) => log(`auditing the late pause of recording ${leak.recordingId} failed`, error));
  };
}
