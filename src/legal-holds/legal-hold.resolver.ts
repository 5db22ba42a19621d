import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { RecordingType } from "../recordings/recording.types";
import { LegalHoldService } from "./legal-hold.service";
import { LegalHoldsArgs, LegalHoldType, PlaceLegalHoldInput } from "./legal-hold.types";

@Resolver(() => LegalHoldType)
export class LegalHoldResolver {
  constructor(private readonly holds: LegalHoldService) {}

  @Auth(Permission.ManageLegalHolds)
  @Mutation(() => LegalHoldType, { description: "Keeps a recording or a whole customer's recordings from delete, redaction and retention." })
  async placeLegalHold(@Arg("input", () => PlaceLegalHoldInput) input: PlaceLegalHoldInput, @Ctx() ctx: GraphQLContext): Promise<LegalHoldType> {
    return this.holds.place(ctx.viewer!, ctx.requestId, input);
  }

  @Auth(Permission.ManageLegalHolds)
  @Mutation(() => LegalHoldType, { description: "Ends a hold; releasing a released hold changes nothing." })
  async releaseLegalHold(
    @Arg("holdId", () => ID) holdId: string,
    @Arg("reason", () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LegalHoldType> {
    return this.holds.release(ctx.viewer!, ctx.requestId, holdId, reason);
  }

  @Auth(Permission.ReadLegalHolds)
  @Query(() => [LegalHoldType], { description: "Newest first; active holds only unless includeReleased." })
  async legalHolds(@Args(() => LegalHoldsArgs) args: LegalHoldsArgs): Promise<LegalHoldType[]> {
    return this.holds.list({ recordingId: args.recordingId ?? undefined, customerId: args.customerId ?? undefined, includeReleased: args.includeReleased });
  }
}

/** Shows the holds on the recording wherever a Recording appears (including each timeline entry). */
@Resolver(() => RecordingType)
export class RecordingLegalHoldsResolver {
  constructor(private readonly holds: LegalHoldService) {}

  @Auth(Permission.ReadLegalHolds)
  @FieldResolver(() => [LegalHoldType], { nullable: true, description: "The active legal holds keeping this recording: its own and its customer's." })
  async legalHolds(@Root() recording: RecordingType): Promise<LegalHoldType[]> {
    return this.holds.activeHoldsOn(recording);
  }
}
