import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { Role } from "../auth/role";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { CustomerService } from "./customer.service";
import { CreateCustomerInput, CustomerType } from "./customer.types";

@Resolver(() => CustomerType)
export class CustomerResolver {
  constructor(private readonly customers: CustomerService) {}

  @Auth(Role.API_USER, Role.ADMINISTRATOR)
  @Mutation(() => CustomerType)
  async createCustomer(@Arg("input", () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return this.customers.create(ctx.viewer, ctx.requestId, input.name);
  }
}
