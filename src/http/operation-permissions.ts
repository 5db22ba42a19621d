import { EnumValueNode, GraphQLSchema, Kind, ValueNode } from "graphql";

/**
 * Who may call each root operation, read from the `@auth(requires: [...])` declarations in the schema itself
 * (the same ones the auth checker enforces): "Query.me" → [] (any signed-in user), "Query.users" → ["ADMINISTRATOR"].
 * Operations without `@auth` are absent. Clients and REST routes use this instead of a second copy of the rules.
 */
export type OperationPermissions = Record<string, string[]>;

export function operationPermissions(schema: GraphQLSchema): OperationPermissions {
  const permissions: OperationPermissions = {};
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const auth = field.astNode?.directives?.find((directive) => directive.name.value === "auth");
      if (!auth) continue;
      const requires = auth.arguments?.find((argument) => argument.name.value === "requires")?.value;
      const values = requires?.kind === Kind.LIST ? requires.values : requires ? [requires] : [];
      const roles = values.filter(isEnumValue).map((value) => value.value);
      permissions[`${root!.name}.${field.name}`] = roles.sort();
    }
  }
  return permissions;
}

/** Whether a user holding `roles` may call the operation; unknown operations are refused. */
export function mayCall(permissions: OperationPermissions, operation: string, roles: Iterable<string>): boolean {
  const required = permissions[operation];
  if (!required) return false;
  if (required.length === 0) return true;
  const held = new Set(roles);
  return required.some((role) => held.has(role));
}

const isEnumValue = (value: ValueNode): value is EnumValueNode => value.kind === Kind.ENUM;
