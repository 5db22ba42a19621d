import { DirectiveLocation, GraphQLDirective, GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLSchema, isEnumType } from "graphql";

/** Declares `@auth` in the schema so the printed SDL (and Sandbox) shows who may call each field. */
export function withAuthDirective(schema: GraphQLSchema): GraphQLSchema {
  const roleType = schema.getType("Role");
  if (!roleType || !isEnumType(roleType)) throw new Error("the schema has no Role enum");
  const auth = new GraphQLDirective({
    name: "auth",
    description: "Who may use this field: any of `requires`, or any signed-in user when omitted.",
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { requires: { type: new GraphQLList(new GraphQLNonNull(roleType as GraphQLEnumType)) } },
  });
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, auth] });
}
