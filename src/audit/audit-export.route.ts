import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Express } from "express";
import type { DataSource } from "typeorm";
import type { Authenticator } from "../auth/authenticator";
import { holdsPermission, Permission } from "../auth/permissions";
import { DomainError } from "../common/errors";
import type { AuditCheckpointService } from "./audit-checkpoint.service";
import { auditExportLines } from "./audit-export";

export const AUDIT_EXPORT_PATH = "/audit/export.ndjson";

type Log = (message: string, error?: unknown) => void;

/** GET the whole audit log with its checkpoints as NDJSON (Bearer token of a user allowed to read the audit log). */
export function mountAuditExportRoute(app: Express, deps: { dataSource: DataSource; checkpoints: AuditCheckpointService; authenticator: Authenticator; log: Log }): void {
  app.get(AUDIT_EXPORT_PATH, async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      const viewer = await deps.authenticator.authenticate(req.headers.authorization);
      if (!viewer) return void res.status(401).json({ error: "UNAUTHENTICATED" });
      if (!holdsPermission(viewer.roles, Permission.ReadAudit)) return void res.status(403).json({ error: "FORBIDDEN" });
    } catch (error) {
      if (error instanceof DomainError) return void res.status(401).json({ error: error.code });
      throw error;
    }
    res.status(200);
    res.setHeader("Content-Type", "application/x-ndjson; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="callvault-audit-${new Date().toISOString().slice(0, 10)}.ndjson"`);
    await pipeline(Readable.from(auditExportLines(deps.dataSource, deps.checkpoints)), res).catch((error) => {
      if ((error as NodeJS.ErrnoException)?.code === "ERR_STREAM_PREMATURE_CLOSE") return;
      deps.log(`audit export failed (request ${req.requestId})`, error);
      res.destroy();
    });
  });
}
