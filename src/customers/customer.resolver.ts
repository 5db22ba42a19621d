import { Arg, Ctx, Int, Mutation, Query, Resolver } from "type-graphql";
import { Role } from "../auth/role";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { CustomerService } from "./customer.service";
import { CreateCustomerInput, CustomerType } from "./customer.types";

@Resolver(() => CustomerType)
export class CustomerResolver {
  constructor(private readonly customerService: CustomerService) {}

  @Auth(Role.TEAM_MANAGER, Role.COMPLIANCE_ADMINISTRATOR)
  @Query(() => [CustomerType], { description: "Find customers by name (case-insensitive substring), by name." })
  async customers(
    @Arg("search", () => String, { defaultValue: "" }) search: string,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
  ): Promise<CustomerType[]> {
    return this.customerService.search(search, first);
  }

  @Auth(Role.API_USER, Role.ADMINISTRATOR)
  @Mutation(() => CustomerType)
  async createCustomer(@Arg("input", () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return this.customerService.create(ctx.viewer, ctx.requestId, input.name);
  }
}
