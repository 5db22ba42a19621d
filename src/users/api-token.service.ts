import { createHash, randomBytes } from "node:crypto";
import { DataSource } from "typeorm";
import type { Viewer } from "../auth/viewer";
import { badInput, notFound } from "../common/errors";
import { newId } from "../common/ids";
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
  ) {}

  async issue(userId: string, label: string): Promise<IssuedApiToken> {
    const trimmed = label.trim();
    if (!trimmed || trimmed.length > LABEL_MAX) throw badInput(`label must be 1 to ${LABEL_MAX} characters`, "label");
    const user = await this.users.findById(userId);
    if (!user) throw notFound("User", userId);
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const row = this.dataSource.getRepository(ApiTokenEntity).create({ id: newId(), userId, tokenHash: hashOf(token), label: trimmed, createdAt: new Date() });
    await this.dataSource.getRepository(ApiTokenEntity).insert(row);
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
