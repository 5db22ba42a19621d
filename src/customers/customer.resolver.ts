import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { CustomerService } from "./customer.service";
import { CreateCustomerInput, CustomerType } from "./customer.types";

@Resolver(() => CustomerType)
export class CustomerResolver {
  constructor(private readonly customers: CustomerService) {}

  @Auth(Permission.CreateCustomer)
  @Mutation(() => CustomerType)
  async createCustomer(@Arg("input", () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return this.customers.create(ctx.viewer, ctx.requestId, input.name);
  }
}
