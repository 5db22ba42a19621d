import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Role } from "../auth/role";
import { Auth, unauthenticated } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { ApiTokenService } from "./api-token.service";
import { UserService } from "./user.service";
import { CreateUserInput, IssuedApiTokenType, UserType } from "./user.types";

@Resolver(() => UserType)
export class UserResolver {
  constructor(
    private readonly userService: UserService,
    private readonly apiTokens: ApiTokenService,
  ) {}

  @Auth(Permission.Authenticated)
  @Query(() => UserType, { description: "The signed-in user." })
  async me(@Ctx() { viewer }: GraphQLContext): Promise<UserType> {
    if (!viewer) throw unauthenticated();
    const user = await this.userService.findById(viewer.userId);
    if (!user) throw unauthenticated();
    return user;
  }

  @Auth(Permission.ManageUsers)
  @Query(() => [UserType])
  async users(): Promise<UserType[]> {
    return this.userService.list();
  }

  @Auth(Permission.ListAgents)
  @Query(() => [UserType], { description: "Every user holding the AGENT role (the team manager's floor)." })
  async agents(): Promise<UserType[]> {
    return this.userService.listWithRole(Role.AGENT);
  }

  @Auth(Permission.ManageUsers)
  @Mutation(() => IssuedApiTokenType, { description: "Issues an API token for HTTP Basic (e-mail + token) on the REST API; shown only once." })
  async issueApiToken(
    @Arg("userId", () => ID) userId: string,
    @Arg("label", () => String) label: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<IssuedApiTokenType> {
    return this.apiTokens.issue(ctx.viewer, ctx.requestId, userId, label);
  }

  @Auth(Permission.ManageUsers)
  @Mutation(() => UserType)
  async createUser(@Arg("input", () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: GraphQLContext): Promise<UserType> {
    return this.userService.create(ctx.viewer, ctx.requestId, input);
  }

  @Auth(Permission.ManageUsers)
  @Mutation(() => UserType, { description: "Replaces the user's roles. Administrators may assign roles to themselves." })
  async assignRoles(
    @Arg("userId", () => ID) userId: string,
    @Arg("roles", () => [Role], { validate: false }) roles: Role[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<UserType> {
    return this.userService.assignRoles(ctx.viewer!, ctx.requestId, userId, roles);
  }

  @FieldResolver(() => [Role])
  async roles(@Root() user: UserType): Promise<Role[]> {
    return this.userService.rolesOf(user.id);
  }
}
