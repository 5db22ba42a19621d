import { And, DataSource, IsNull, LessThan, MoreThan, MoreThanOrEqual, Not } from "typeorm";
import { AuditEntryEntity } from "../audit/audit-entry.entity";
import type { AuditService } from "../audit/audit.service";
import { holdsPermission, Permission } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode } from "../common/errors";
import type { UserService } from "../users/user.service";
import { ComplianceReport, ComplianceReportBuilder } from "./compliance-report";
import { ReportLinkSigner } from "./report-link";

const MAX_PERIOD_MS = 366 * 86_400_000;
const BATCH = 1000;

export interface ReportDownload {
  url: string;
  expiresAt: Date;
}

export interface ReportLinkOptions {
  secret: Buffer;
  publicUrl: string | undefined;
  ttlSeconds: number;
}

/** The compliance report over a period, computed from the audit log alone; as GraphQL or as CSV at a signed link. */
export class ComplianceReportService {
  private readonly signer: ReportLinkSigner;
  private origin: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: Pick<AuditService, "flush">,
    private readonly users: Pick<UserService, "loadViewer">,
    private readonly links: ReportLinkOptions,
  ) {
    this.signer = new ReportLinkSigner(links.secret);
  }

  listeningAt(origin: string): void {
    this.origin = origin;
  }

  async report(from: Date, to: Date): Promise<ComplianceReport> {
    assertPeriod(from, to);
    await this.audit.flush();
    const builder = new ComplianceReportBuilder(from, to);
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    for (let after = 0; ; ) {
      const batch = await repo.find({
        where: { position: And(Not(IsNull()), MoreThan(after)), occurredAt: And(MoreThanOrEqual(from), LessThan(to)) },
        order: { position: "ASC" },
        take: BATCH,
      });
      for (const entry of batch) builder.add(entry);
      if (batch.length < BATCH) break;
      after = batch[batch.length - 1].position as number;
    }
    return builder.build();
  }

  /** A link to the CSV for this user and period, valid for the download TTL. */
  issueCsvLink(viewer: Viewer, from: Date, to: Date): ReportDownload {
    assertPeriod(from, to);
    const base = this.links.publicUrl ?? this.origin;
    if (!base) throw new Error("report links need PUBLIC_URL or a listening server");
    const expiresAtSeconds = Math.ceil(Date.now() / 1000 + this.links.ttlSeconds);
    const path = this.signer.pathFor({ userId: viewer.userId, fromMs: from.getTime(), toMs: to.getTime(), expiresAtSeconds });
    return { url: `${base}${path}`, expiresAt: new Date(expiresAtSeconds * 1000) };
  }

  /** Checks a CSV link: signature, expiry, and that its user still may read the report. */
  async openCsvLink(query: Record<string, unknown>): Promise<ComplianceReport> {
    const grant = this.signer.check(query);
    if (!grant) throw new DomainError(ErrorCode.DownloadLinkInvalid, "the link is not valid");
    if (grant.expiresAtSeconds * 1000 < Date.now()) throw new DomainError(ErrorCode.DownloadLinkExpired, "the link has expired");
    const viewer = await this.users.loadViewer(grant.userId);
    if (!viewer || !holdsPermission(viewer.roles, Permission.ReadComplianceReport)) throw new DomainError(ErrorCode.Forbidden, "the link's user may no longer read reports");
    return this.report(new Date(grant.fromMs), new Date(grant.toMs));
  }
}

function assertPeriod(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badInput("from and to must be dates", "from");
  if (to.getTime() <= from.getTime()) throw badInput("to must be after from", "to");
  if (to.getTime() - from.getTime() > MAX_PERIOD_MS) throw badInput("a report covers at most 366 days", "to");
}
