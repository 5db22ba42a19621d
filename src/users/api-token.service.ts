import { createHash, randomBytes } from "node:crypto";
import { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { badInput, notFound } from "../common/errors";
import { newId } from "../common/ids";
import { TransactionRunner } from "../database/transaction";
import { ApiTokenEntity } from "./api-token.entity";
import { UserService } from "./user.service";

const TOKEN_PREFIX = "cvt_";
const LABEL_MAX = 100;

export interface IssuedApiToken {
  id: string;
  userId: string;
  label: string;
  createdAt: Date;
  /** The secret itself: returned once, never stored. */
  token: string;
}

const hashOf = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/** API tokens for integrations that speak HTTP Basic (e-mail + token), as Gladly-style REST clients do. */
export class ApiTokenService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
  ) {}

  /** Issues a token for `userId`; the issue is audited (never the secret), by `actor` or by the system. */
  async issue(actor: Viewer | undefined, requestId: string, userId: string, label: string): Promise<IssuedApiToken> {
    const trimmed = label.trim();
    if (!trimmed || trimmed.length > LABEL_MAX) throw badInput(`label must be 1 to ${LABEL_MAX} characters`, "label");
    const user = await this.users.findById(userId);
    if (!user) throw notFound("User", userId);
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const row = this.dataSource.getRepository(ApiTokenEntity).create({ id: newId(), userId, tokenHash: hashOf(token), label: trimmed, createdAt: new Date() });
    await this.transactions.run(async (uow) => {
      await uow.manager.insert(ApiTokenEntity, row);
      await this.audit.append(uow, {
        actor,
        action: AuditAction.API_TOKEN_ISSUED,
        targetType: "USER",
        targetId: userId,
        details: { apiTokenId: row.id, label: trimmed },
        requestId,
      });
    });
    return { id: row.id, userId, label: trimmed, createdAt: row.createdAt, token };
  }

  /** The viewer for an e-mail and API token pair, or undefined when they do not belong together. */
  async authenticate(email: string, token: string): Promise<Viewer | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const row = await this.dataSource.getRepository(ApiTokenEntity).findOne({ where: { tokenHash: hashOf(token) } });
    if (!row) return undefined;
    const viewer = await this.users.loadViewer(row.userId);
    return viewer && viewer.email === email.trim().toLowerCase() ? viewer : undefined;
  }
}
