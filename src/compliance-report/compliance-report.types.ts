// Float for totals that can pass 2^31 (bytes, milliseconds).
import { ArgsType, Field, Float as Float64, GraphQLISODateTime, ID, Int, ObjectType } from "type-graphql";

@ObjectType("PausesBySource")
export class PausesBySourceType {
  @Field(() => String, { description: "AGENT_UI, API or SYSTEM." })
  source!: string;

  @Field(() => Int)
  pauses!: number;

  @Field(() => Int)
  recordings!: number;
}

@ObjectType("DownloadsByUser")
export class DownloadsByUserType {
  @Field(() => ID)
  userId!: string;

  @Field(() => Int)
  linksIssued!: number;

  @Field(() => Int)
  downloadsServed!: number;

  @Field(() => Float64)
  bytesServed!: number;
}

@ObjectType("ComplianceReport", { description: "What happened in [from, to), computed from the audit log alone." })
export class ComplianceReportType {
  @Field(() => GraphQLISODateTime)
  from!: Date;

  @Field(() => GraphQLISODateTime)
  to!: Date;

  @Field(() => Int, { description: "Audit entries in the period: every figure below is counted from them." })
  auditEntries!: number;

  @Field(() => Int)
  callsRecorded!: number;

  @Field(() => Int)
  recordingsPaused!: number;

  @Field(() => [PausesBySourceType])
  pausesBySource!: PausesBySourceType[];

  @Field(() => Float64, { description: "From each pause that stopped a recording to the resume or call end that restarted or ended it." })
  totalPausedMs!: number;

  @Field(() => Int)
  forcedResumes!: number;

  @Field(() => Int, { description: "Pauses that reached the media pipeline late (PAUSE_APPLIED_LATE)." })
  pausesAppliedLate!: number;

  @Field(() => Float64, { description: "Milliseconds of paused audio those late pauses let into recordings." })
  leakedPausedAudioMs!: number;

  @Field(() => Int)
  recordingsRedacted!: number;

  @Field(() => Int)
  redactions!: number;

  @Field(() => Int)
  recordingsDeletedByHand!: number;

  @Field(() => Int)
  recordingsDeletedByRetention!: number;

  @Field(() => [DownloadsByUserType])
  downloadsByUser!: DownloadsByUserType[];

  @Field(() => Int)
  legalHoldsPlaced!: number;

  @Field(() => Int)
  legalHoldsReleased!: number;
}

@ObjectType("ComplianceReportDownload", { description: "A signed link to the report as CSV, for the user who asked, valid for minutes." })
export class ComplianceReportDownloadType {
  @Field(() => String)
  url!: string;

  @Field(() => GraphQLISODateTime)
  expiresAt!: Date;
}

@ArgsType()
export class ComplianceReportArgs {
  @Field(() => GraphQLISODateTime)
  from!: Date;

  @Field(() => GraphQLISODateTime, { description: "Exclusive; at most 366 days after from." })
  to!: Date;
}
