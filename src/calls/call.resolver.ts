import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { CallService } from "./call.service";
import { CallPayload, StartCallInput } from "./call.types";

@Resolver()
export class CallResolver {
  constructor(private readonly calls: CallService) {}

  @Auth(Permission.ManageCalls)
  @Mutation(() => CallPayload, { description: "Telephony integration: a call connected; its recording starts." })
  async startCall(@Arg("input", () => StartCallInput) input: StartCallInput, @Ctx() ctx: GraphQLContext): Promise<CallPayload> {
    return this.calls.start(ctx.viewer, ctx.requestId, { customerId: input.customerId, agentRef: input.agentId, externalRef: input.externalRef });
  }

  @Auth(Permission.ManageCalls)
  @Mutation(() => CallPayload, { description: "Telephony integration: the call hung up. Idempotent." })
  async endCall(@Arg("callId", () => ID) callId: string, @Ctx() ctx: GraphQLContext): Promise<CallPayload> {
    return this.calls.end(ctx.viewer, ctx.requestId, callId);
  }
}
