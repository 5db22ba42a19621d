import { createHmac, timingSafeEqual } from "node:crypto";

/** What a report link grants: one user, one period, until `expiresAtSeconds`. */
export interface ReportGrant {
  userId: string;
  fromMs: number;
  toMs: number;
  expiresAtSeconds: number;
}

export const REPORT_PATH = "/reports/compliance.csv";
export const REPORT_SECRET_PURPOSE = "compliance-report-url";

const ID = /^[A-Za-z0-9-]{1,64}$/;
const DIGITS = /^(0|[1-9][0-9]{0,14})$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/** HMAC-SHA256 over a versioned statement of the grant, as download links are signed (own purpose, own key). */
export class ReportLinkSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error("the report link secret must be at least 32 bytes");
  }

  pathFor(grant: ReportGrant): string {
    const query = new URLSearchParams({
      uid: grant.userId,
      from: String(grant.fromMs),
      to: String(grant.toMs),
      exp: String(grant.expiresAtSeconds),
      sig: this.signature(grant),
    });
    return `${REPORT_PATH}?${query}`;
  }

  check(query: Record<string, unknown>): ReportGrant | null {
    const { uid, from, to, exp, sig } = query;
    if ([uid, from, to, exp, sig].some((value) => typeof value !== "string")) return null;
    if (!ID.test(uid as string) || !DIGITS.test(from as string) || !DIGITS.test(to as string) || !DIGITS.test(exp as string) || !SIGNATURE.test(sig as string)) return null;
    const grant: ReportGrant = { userId: uid as string, fromMs: Number(from), toMs: Number(to), expiresAtSeconds: Number(exp) };
    const expected = Buffer.from(this.signature(grant), "ascii");
    return timingSafeEqual(expected, Buffer.from(sig as string, "ascii")) ? grant : null;
  }

  private signature(grant: ReportGrant): string {
    const statement = ["callvault-compliance-report/v1", grant.userId, String(grant.fromMs), String(grant.toMs), String(grant.expiresAtSeconds)].join("\n");
    return createHmac("sha256", this.secret).update(statement, "utf8").digest("base64url");
  }
}
