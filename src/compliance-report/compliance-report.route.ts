import type { Express } from "express";
import { DomainError, ErrorCode } from "../common/errors";
import { reportCsv } from "./compliance-report";
import type { ComplianceReportService } from "./compliance-report.service";
import { REPORT_PATH } from "./report-link";

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.DownloadLinkInvalid]: 403,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.DownloadLinkExpired]: 410,
  [ErrorCode.BadUserInput]: 400,
};

/** GET on a signed report link: the compliance report as CSV. */
export function mountComplianceReportRoute(app: Express, reports: ComplianceReportService, log: (message: string, error?: unknown) => void): void {
  app.get(REPORT_PATH, async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      const report = await reports.openCsvLink(req.query as Record<string, unknown>);
      res.status(200);
      res.setHeader("Content-Type", "text/csv; charset=utf-8");
      res.setHeader("Content-Disposition", `attachment; filename="compliance-report-${report.from.toISOString().slice(0, 10)}.csv"`);
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.send(reportCsv(report));
    } catch (error) {
      const status = error instanceof DomainError ? STATUS[error.code] : undefined;
      if (status === undefined) {
        log(`compliance report failed (request ${req.requestId})`, error);
        return void res.status(500).json({ error: "INTERNAL_SERVER_ERROR" });
      }
      res.status(status).json({ error: (error as DomainError).code });
    }
  });
}
