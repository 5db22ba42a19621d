import { Api, consoleFetch } from "./api";

export type Role = "AGENT" | "TEAM_MANAGER" | "ADMINISTRATOR" | "COMPLIANCE_ADMINISTRATOR" | "API_USER";

export interface Me {
  id: string;
  email: string;
  displayName: string;
  roles: Role[];
}

/** "Query.users" → roles that may call it ([] = any signed-in user), as the server read them from its schema's `@auth`. */
export type OperationPermissions = Record<string, string[]>;

export interface Session {
  api: Api;
  me: Me;
  permissions: OperationPermissions;
  /** Whether the development-only demo routes exist on this server (404 in production). */
  demo: boolean;
}

export const ME_QUERY = /* GraphQL */ `query Me { me { id email displayName roles } }`;

/** Whether the signed-in user may call `operation`, by the server's own declaration of it. */
export function may(session: Pick<Session, "me" | "permissions">, operation: string): boolean {
  const required = session.permissions[operation];
  if (!required) return false;
  return required.length === 0 || required.some((role) => session.me.roles.includes(role as Role));
}

export async function loadPermissions(token: string): Promise<OperationPermissions> {
  const { status, body } = await consoleFetch<{ operations: OperationPermissions }>("/console/permissions", { token });
  if (status !== 200 || !body) throw new Error(`the permission map could not be read (${status})`);
  return body.operations;
}

export async function demoAvailable(): Promise<boolean> {
  return (await consoleFetch("/console/demo/users")).status === 200;
}
