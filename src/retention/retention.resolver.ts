import { Arg, Args, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { RetentionService } from "./retention.service";
import { RetentionPolicyType, RetentionRunsArgs, RetentionRunType, SetRetentionPolicyInput } from "./retention.types";

@Resolver()
export class RetentionResolver {
  constructor(private readonly retention: RetentionService) {}

  @Auth(Permission.ManageRetention)
  @Mutation(() => RetentionPolicyType, {
    description: "Sets the global default (no customerId) or a customer's override; days null keeps recordings forever. Applies from the next retention run.",
  })
  async setRetentionPolicy(@Arg("input", () => SetRetentionPolicyInput) input: SetRetentionPolicyInput, @Ctx() ctx: GraphQLContext): Promise<RetentionPolicyType> {
    return this.retention.setPolicy(ctx.viewer!, ctx.requestId, { customerId: input.customerId, days: input.days ?? null });
  }

  @Auth(Permission.ManageRetention)
  @Query(() => [RetentionPolicyType], { description: "The global default first, then customer overrides. No policy at all: kept forever." })
  async retentionPolicies(): Promise<RetentionPolicyType[]> {
    return this.retention.policies();
  }

  @Auth(Permission.ManageRetention)
  @Query(() => [RetentionRunType], { description: "Retention job runs, newest first, with their progress." })
  async retentionRuns(@Args(() => RetentionRunsArgs) args: RetentionRunsArgs): Promise<RetentionRunType[]> {
    return this.retention.runs(args.first);
  }
}
