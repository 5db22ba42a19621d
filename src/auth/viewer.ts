import type { Role } from "./role";

/** Who is making a request, with the roles they hold now (read from the database, or its copy a role change would have dropped). */
export interface Viewer {
  userId: string;
  email: string;
  roles: ReadonlySet<Role>;
}

export interface RequestContext {
  viewer: Viewer | undefined;
  requestId: string;
  /** When the request (or WebSocket operation) arrived, stamped before any await: a pause takes effect from it. */
  receivedAt: Date;
}
