import { MaxLength, MinLength } from "class-validator";
import { Field, Float, GraphQLISODateTime, ID, InputType, ObjectType } from "type-graphql";
import { RecordingType } from "../recordings/recording.types";

@InputType()
export class RedactRecordingSegmentInput {
  @Field(() => ID)
  @MaxLength(64)
  recordingId!: string;

  @Field(() => Float, { description: "Start of the span to silence, in seconds from the start of the recording." })
  fromSeconds!: number;

  @Field(() => Float, { description: "End of the span (exclusive), in seconds; at most the recording's duration." })
  toSeconds!: number;

  @Field(() => String)
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;
}

@ObjectType("RecordingRedaction", { description: "Proof that a span of a recording was silenced and the previous audio destroyed." })
export class RecordingRedactionType {
  @Field(() => RecordingType, { description: "The recording after redaction: sequence bumped, new sha256 and sizeBytes." })
  recording!: RecordingType;

  @Field(() => Float, { description: "Start of the silenced span in seconds, on whole samples." })
  fromSeconds!: number;

  @Field(() => Float, { description: "End of the silenced span in seconds, on whole samples; at least what was asked." })
  toSeconds!: number;

  @Field(() => String)
  reason!: string;

  @Field(() => GraphQLISODateTime)
  redactedAt!: Date;

  @Field(() => ID)
  redactedById!: string;

  @Field(() => String, { nullable: true, description: "SHA-256 (hex) of the MP3 this redaction replaced and destroyed." })
  previousMp3Sha256!: string | null;

  @Field(() => String, { description: "SHA-256 (hex) of the redacted MP3 now stored." })
  mp3Sha256!: string;
}
