import { Field, GraphQLISODateTime, ID, Int, ObjectType } from "type-graphql";

@ObjectType("RecordingDownload", { description: "A short-lived signed link to a recording's MP3; GET it to download (HTTP Range supported)." })
export class RecordingDownloadType {
  @Field(() => ID)
  recordingId!: string;

  @Field(() => String, { description: "Signed for you, this recording and its current audio; refused once it expires, the recording is deleted or you lose the role." })
  url!: string;

  @Field(() => GraphQLISODateTime)
  expiresAt!: Date;

  @Field(() => String, { description: "The file name the download is served under (Content-Disposition)." })
  fileName!: string;

  @Field(() => String, { description: 'Always "audio/mpeg".' })
  contentType!: string;

  @Field(() => Int)
  sizeBytes!: number;
}
