import { AuditAction } from "../audit/audit-action";

/** One audited action, as the report reads it (from the database or from an export). */
export interface ReportedEntry {
  occurredAt: Date;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

export interface PausesBySource {
  source: string;
  pauses: number;
  recordings: number;
}

export interface DownloadsByUser {
  userId: string;
  linksIssued: number;
  downloadsServed: number;
  bytesServed: number;
}

export interface ComplianceReport {
  from: Date;
  to: Date;
  auditEntries: number;
  callsRecorded: number;
  recordingsPaused: number;
  pausesBySource: PausesBySource[];
  totalPausedMs: number;
  forcedResumes: number;
  pausesAppliedLate: number;
  leakedPausedAudioMs: number;
  recordingsRedacted: number;
  redactions: number;
  recordingsDeletedByHand: number;
  recordingsDeletedByRetention: number;
  downloadsByUser: DownloadsByUser[];
  legalHoldsPlaced: number;
  legalHoldsReleased: number;
}

/**
 * Folds the audit entries of [from, to), in chain order, into the report's figures, so every number can be
 * traced to entries anyone can re-read. Paused time runs from a pause that stopped the recording to the
 * resume (or call end) that restarted or ended it, clipped to the window: a recording already paused at
 * `from` counts from `from`, one still paused at `to` until `to`.
 */
export class ComplianceReportBuilder {
  private entries = 0;
  private calls = 0;
  private readonly pausedRecordings = new Set<string>();
  private readonly sources = new Map<string, { pauses: number; recordings: Set<string> }>();
  private readonly pausedSince = new Map<string, number>();
  private pausedMs = 0;
  private forced = 0;
  private late = 0;
  private leakedMs = 0;
  private readonly redactedRecordings = new Set<string>();
  private redactions = 0;
  private deletedByHand = 0;
  private deletedByRetention = 0;
  private readonly downloads = new Map<string, DownloadsByUser>();
  private holdsPlaced = 0;
  private holdsReleased = 0;

  constructor(
    private readonly from: Date,
    private readonly to: Date,
  ) {}

  add(entry: ReportedEntry): void {
    this.entries++;
    const at = entry.occurredAt.getTime();
    const details = entry.details;
    switch (entry.action) {
      case AuditAction.CALL_STARTED:
        this.calls++;
        break;
      case AuditAction.RECORDING_PAUSED: {
        this.pausedRecordings.add(entry.targetId);
        const source = String(details.source ?? "UNKNOWN");
        const bySource = this.sources.get(source) ?? { pauses: 0, recordings: new Set<string>() };
        bySource.pauses++;
        bySource.recordings.add(entry.targetId);
        this.sources.set(source, bySource);
        if (details.previousState === "RECORDING") this.pausedSince.set(entry.targetId, at);
        break;
      }
      case AuditAction.RECORDING_RESUMED:
      case AuditAction.RECORDING_RESUMED_FORCED:
        if (entry.action === AuditAction.RECORDING_RESUMED_FORCED) this.forced++;
        if (details.previousState === "PAUSED" && details.state === "RECORDING") this.endPause(entry.targetId, at);
        break;
      case AuditAction.CALL_ENDED:
        if (details.previousState === "PAUSED" && typeof details.recordingId === "string") this.endPause(details.recordingId, at);
        break;
      case AuditAction.PAUSE_APPLIED_LATE:
        this.late++;
        this.leakedMs += Number(details.leakedMs ?? 0);
        break;
      case AuditAction.RECORDING_REDACTED:
        this.redactions++;
        this.redactedRecordings.add(entry.targetId);
        break;
      case AuditAction.RECORDING_DELETED:
        this.deletedByHand++;
        break;
      case AuditAction.RECORDING_EXPIRED:
        this.deletedByRetention++;
        break;
      case AuditAction.DOWNLOAD_URL_ISSUED:
        if (entry.actorId) this.downloadsOf(entry.actorId).linksIssued++;
        break;
      case AuditAction.DOWNLOAD_SERVED:
        if (entry.actorId) {
          const user = this.downloadsOf(entry.actorId);
          user.downloadsServed++;
          user.bytesServed += Number(details.bytes ?? 0);
        }
        break;
      case AuditAction.LEGAL_HOLD_PLACED:
        this.holdsPlaced++;
        break;
      case AuditAction.LEGAL_HOLD_RELEASED:
        this.holdsReleased++;
        break;
    }
  }

  build(): ComplianceReport {
    let totalPausedMs = this.pausedMs;
    for (const since of this.pausedSince.values()) totalPausedMs += this.to.getTime() - since;
    return {
      from: this.from,
      to: this.to,
      auditEntries: this.entries,
      callsRecorded: this.calls,
      recordingsPaused: this.pausedRecordings.size,
      pausesBySource: [...this.sources.entries()]
        .map(([source, { pauses, recordings }]) => ({ source, pauses, recordings: recordings.size }))
        .sort((a, b) => a.source.localeCompare(b.source)),
      totalPausedMs,
      forcedResumes: this.forced,
      pausesAppliedLate: this.late,
      leakedPausedAudioMs: this.leakedMs,
      recordingsRedacted: this.redactedRecordings.size,
      redactions: this.redactions,
      recordingsDeletedByHand: this.deletedByHand,
      recordingsDeletedByRetention: this.deletedByRetention,
      downloadsByUser: [...this.downloads.values()].sort((a, b) => a.userId.localeCompare(b.userId)),
      legalHoldsPlaced: this.holdsPlaced,
      legalHoldsReleased: this.holdsReleased,
    };
  }

  private endPause(recordingId: string, at: number): void {
    // No pause seen in the window: the recording was already paused at `from`.
    const since = this.pausedSince.get(recordingId) ?? this.from.getTime();
    this.pausedMs += at - since;
    this.pausedSince.delete(recordingId);
  }

  private downloadsOf(userId: string): DownloadsByUser {
    let user = this.downloads.get(userId);
    if (!user) this.downloads.set(userId, (user = { userId, linksIssued: 0, downloadsServed: 0, bytesServed: 0 }));
    return user;
  }
}

const CSV_HEADER = ["section", "key", "value"];

/** The report as CSV: one `section,key,value` row per figure, per source and per user. */
export function reportCsv(report: ComplianceReport): string {
  const rows: (string | number)[][] = [CSV_HEADER];
  const add = (section: string, key: string, value: string | number) => rows.push([section, key, value]);
  add("period", "from", report.from.toISOString());
  add("period", "to", report.to.toISOString());
  for (const key of [
    "auditEntries",
    "callsRecorded",
    "recordingsPaused",
    "totalPausedMs",
    "forcedResumes",
    "pausesAppliedLate",
    "leakedPausedAudioMs",
    "recordingsRedacted",
    "redactions",
    "recordingsDeletedByHand",
    "recordingsDeletedByRetention",
    "legalHoldsPlaced",
    "legalHoldsReleased",
  ] as const) {
    add("totals", key, report[key]);
  }
  for (const source of report.pausesBySource) {
    add("pausesBySource", `${source.source}.pauses`, source.pauses);
    add("pausesBySource", `${source.source}.recordings`, source.recordings);
  }
  for (const user of report.downloadsByUser) {
    add("downloadsByUser", `${user.userId}.linksIssued`, user.linksIssued);
    add("downloadsByUser", `${user.userId}.downloadsServed`, user.downloadsServed);
    add("downloadsByUser", `${user.userId}.bytesServed`, user.bytesServed);
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function csvField(value: string | number): string {
  const text = String(value);
  // Quote anything with a separator, and defuse formula injection in spreadsheet apps.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
