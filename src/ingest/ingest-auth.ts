import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Authenticator } from "../auth/authenticator";
import { Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { DomainError } from "../common/errors";

export interface IngestPrincipal {
  /** The API user streaming, or undefined when Twilio itself connected (signature-verified). */
  viewer: Viewer | undefined;
  via: "bearer-token" | "twilio-signature";
}

export class IngestRefusedError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = "IngestRefusedError";
  }
}

/**
 * Who may stream audio: an API_USER bearer token on the upgrade request, or — when TWILIO_AUTH_TOKEN is set —
 * a valid X-Twilio-Signature (HMAC-SHA1 of the stream URL with the account's auth token). Nothing else.
 */
export class IngestAuthenticator {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly twilioAuthToken: string | undefined,
    private readonly publicUrl: string | undefined,
  ) {}

  async authorize(request: IncomingMessage): Promise<IngestPrincipal> {
    const signature = request.headers["x-twilio-signature"];
    if (typeof signature === "string" && this.twilioAuthToken) {
      if (!this.signatureMatches(signature, request)) throw new IngestRefusedError(403, "X-Twilio-Signature does not match");
      return { viewer: undefined, via: "twilio-signature" };
    }
    let viewer: Viewer | undefined;
    try {
      viewer = await this.authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof DomainError) throw new IngestRefusedError(401, error.message);
      throw error;
    }
    if (!viewer) throw new IngestRefusedError(401, "send Authorization: Bearer <API_USER token> or a valid X-Twilio-Signature");
    if (!viewer.roles.has(Role.API_USER)) throw new IngestRefusedError(403, "streaming audio requires the API_USER role");
    return { viewer, via: "bearer-token" };
  }

  /** Twilio signs the exact URL it was configured with; behind a proxy set PUBLIC_URL to that origin. */
  private signatureMatches(signature: string, request: IncomingMessage): boolean {
    const origin = this.publicUrl ? this.publicUrl.replace(/^http/, "ws") : `wss://${request.headers.host ?? "localhost"}`;
    const expected = twilioSignature(this.twilioAuthToken as string, `${origin}${request.url ?? ""}`);
    const given = Buffer.from(signature);
    const wanted = Buffer.from(expected);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }
}

export const twilioSignature = (authToken: string, url: string) => createHmac("sha1", authToken).update(url).digest("base64");
