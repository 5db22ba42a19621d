import { GraphQLError } from "graphql";
import { AuthCheckerInterface, Authorized, Directive, ResolverData } from "type-graphql";
import { Permission, rolesGranted } from "../auth/permissions";
import { Role } from "../auth/role";
import type { GraphQLContext } from "./context";

/**
 * Declares the permission an operation (or field) needs: the roles granted it are printed in the SDL as
 * `@auth(requires: [...])` and enforced by the auth checker (queries, mutations, subscriptions, fields).
 * `Permission.Authenticated` prints a bare `@auth`: any signed-in user.
 */
export function Auth(permission: Permission): MethodDecorator & PropertyDecorator {
  const roles = [...rolesGranted(permission)];
  const directive = roles.length ? `@auth(requires: [${roles.join(", ")}])` : "@auth";
  const applyDirective = Directive(directive);
  const applyAuthorized = Authorized<Role>(...roles);
  return (target: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor) => {
    applyDirective(target, propertyKey as string, descriptor as TypedPropertyDescriptor<unknown>);
    applyAuthorized(target, propertyKey as string, descriptor as TypedPropertyDescriptor<unknown>);
  };
}

export const unauthenticated = () =>
  new GraphQLError("sign in: send Authorization: Bearer <token>", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });

const forbiddenFor = (roles: Role[]) =>
  new GraphQLError(`this requires one of the roles ${roles.join(", ")}`, { extensions: { code: "FORBIDDEN", requiredRoles: roles } });

/** Runs for every guarded field and, on subscriptions, for every event: it reads only the context, never I/O. */
export class RoleAuthChecker implements AuthCheckerInterface<GraphQLContext, Role> {
  check({ context }: ResolverData<GraphQLContext>, roles: Role[]): boolean {
    const viewer = context.viewer;
    if (!viewer) throw unauthenticated();
    if (roles.length === 0 || roles.some((role) => viewer.roles.has(role))) return true;
    throw forbiddenFor(roles);
  }
}
