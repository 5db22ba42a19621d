import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { DownloadService } from "./download.service";
import { RecordingDownloadType } from "./download.types";

@Resolver()
export class DownloadResolver {
  constructor(private readonly downloads: DownloadService) {}

  @Auth(Permission.DownloadRecording)
  @Mutation(() => RecordingDownloadType, { description: "Issues a short-lived signed URL for an AVAILABLE recording's MP3. Audited." })
  async createRecordingDownload(@Arg("recordingId", () => ID) recordingId: string, @Ctx() ctx: GraphQLContext): Promise<RecordingDownloadType> {
    return this.downloads.issue(ctx.viewer!, ctx.requestId, recordingId);
  }
}
