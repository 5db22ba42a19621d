import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { RecordingRedactionService } from "./recording-redaction.service";
import { RecordingRedactionType, RedactRecordingSegmentInput } from "./redaction.types";

@Resolver()
export class RedactionResolver {
  constructor(private readonly redactions: RecordingRedactionService) {}

  @Auth(Permission.RedactRecording)
  @Mutation(() => RecordingRedactionType, {
    description: "Silences [fromSeconds, toSeconds) of an AVAILABLE recording for good: the audio is re-encoded under a new key and the old audio is shredded.",
  })
  async redactRecordingSegment(
    @Arg("input", () => RedactRecordingSegmentInput) input: RedactRecordingSegmentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RecordingRedactionType> {
    return this.redactions.redact(ctx.viewer!, ctx.requestId, input);
  }
}
