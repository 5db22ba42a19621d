import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Role } from "../auth/role";
import { Auth, unauthenticated } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { UserService } from "./user.service";
import { CreateUserInput, UserType } from "./user.types";

@Resolver(() => UserType)
export class UserResolver {
  constructor(private readonly userService: UserService) {}

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
