import { Arg, Ctx, Int, Mutation, Query, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { CustomerService } from "./customer.service";
import { CreateCustomerInput, CustomerType } from "./customer.types";

@Resolver(() => CustomerType)
export class CustomerResolver {
  constructor(private readonly customerService: CustomerService) {}

  @Auth(Permission.FindCustomers)
  @Query(() => [CustomerType], { description: "Find customers by name (case-insensitive substring), by name." })
  async customers(
    @Arg("search", () => String, { defaultValue: "" }) search: string,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
  ): Promise<CustomerType[]> {
    return this.customerService.search(search, first);
  }

  @Auth(Permission.CreateCustomer)
  @Mutation(() => CustomerType)
  async createCustomer(@Arg("input", () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return this.customerService.create(ctx.viewer, ctx.requestId, input.name);
  }
}
