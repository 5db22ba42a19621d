import type { Authenticator } from "../auth/authenticator";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode } from "../common/errors";
import type { ApiTokenService } from "../users/api-token.service";

const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)$/i;
const MAX_BASIC_LENGTH = 1024;

/**
 * REST callers authenticate with a bearer token, as on GraphQL, or with HTTP Basic (e-mail + an API token
 * an administrator issued), which is what integrations written against Gladly's REST API send.
 */
export class RestAuthenticator {
  constructor(
    private readonly bearer: Authenticator,
    private readonly apiTokens: ApiTokenService,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Viewer> {
    if (!authorization) throw new DomainError(ErrorCode.Unauthenticated, "send Authorization: Bearer <token> or Basic <e-mail:API token>");
    const basic = BASIC.exec(authorization);
    if (!basic) {
      const viewer = await this.bearer.authenticate(authorization);
      if (!viewer) throw new DomainError(ErrorCode.Unauthenticated, "send Authorization: Bearer <token> or Basic <e-mail:API token>");
      return viewer;
    }
    const decoded = basic[1].length <= MAX_BASIC_LENGTH ? Buffer.from(basic[1], "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const viewer = colon > 0 ? await this.apiTokens.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1)) : undefined;
    if (!viewer) throw new DomainError(ErrorCode.Unauthenticated, "the e-mail and API token do not match");
    return viewer;
  }
}
