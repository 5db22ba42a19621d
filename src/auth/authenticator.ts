import { DomainError, ErrorCode } from "../common/errors";
import { UserService } from "../users/user.service";
import { TokenService } from "./token.service";
import type { Viewer } from "./viewer";

const BEARER = /^Bearer\s+(\S+)$/i;
const MAX_TOKEN_LENGTH = 8192;

/** Turns an Authorization value into a Viewer: none for anonymous, an error for anything invalid. */
export class Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UserService,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Viewer | undefined> {
    const userId = await this.verify(authorization);
    return userId === undefined ? undefined : this.viewerOf(userId);
  }

  /** Checks the token (signature, issuer, audience, expiry) without reading the database; its user's id. */
  async verify(authorization: string | undefined): Promise<string | undefined> {
    if (authorization === undefined || authorization === "") return undefined;
    const match = BEARER.exec(authorization);
    if (!match || match[1].length > MAX_TOKEN_LENGTH) {
      throw new DomainError(ErrorCode.Unauthenticated, 'authorization must be "Bearer <token>"');
    }
    return this.tokens.verify(match[1]);
  }

  /** The user with the roles they hold now. */
  async viewerOf(userId: string): Promise<Viewer> {
    const viewer = await this.users.loadViewer(userId);
    if (!viewer) throw new DomainError(ErrorCode.Unauthenticated, "the token's user does not exist");
    return viewer;
  }
}
