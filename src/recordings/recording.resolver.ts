import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { UserService } from "../users/user.service";
import { UserType } from "../users/user.types";
import { RecordingControlService, RecordingTarget, RecordingWithHolds } from "./recording-control.service";
import { RecordingDeletionService } from "./recording-deletion.service";
import { RecordingQueryService } from "./recording-query.service";
import { ControlSource, RecordingState, TOMBSTONE_TEXT } from "./recording-state";
import { RecordingEntity } from "./recording.entity";
import {
  AgentRecordingStatusType,
  DeleteRecordingInput,
  DeletionReceiptType,
  PauseHoldType,
  PauseIntervalType,
  PauseRecordingInput,
  RecordingDeletionType,
  RecordingTargetFields,
  RecordingType,
  ResumeRecordingInput,
} from "./recording.types";

const EVERY_ROLE = [Role.AGENT, Role.TEAM_MANAGER, Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR, Role.API_USER];
const CONTROLLERS = [Role.AGENT, Role.TEAM_MANAGER, Role.API_USER];
const SUPERVISORS = [Role.TEAM_MANAGER, Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR];

/** Holds are attached to the returned recording so the answer says which holds are still active. */
type RecordingResult = RecordingEntity & { activeHoldsLoaded?: RecordingWithHolds["activeHolds"] };

const withHolds = ({ recording, activeHolds }: RecordingWithHolds): RecordingResult => Object.assign(recording, { activeHoldsLoaded: activeHolds });

const sourceOf = (viewer: Viewer) => (viewer.roles.has(Role.API_USER) ? ControlSource.API : ControlSource.AGENT_UI);

const targetOf = (input: RecordingTargetFields): RecordingTarget =>
  ({ agentRef: input.agentId ?? undefined, recordingId: input.recordingId ?? undefined }) as RecordingTarget;

export function timelineTextOf(state: RecordingState): string {
  switch (state) {
    case RecordingState.RECORDING:
      return "Call in progress (recording)";
    case RecordingState.PAUSED:
      return "Call in progress (Recording Paused)";
    case RecordingState.PROCESSING:
      return "Call ended; recording is being processed";
    case RecordingState.AVAILABLE:
      return "Call recording";
    case RecordingState.FAILED:
      return "Call recording could not be produced";
    case RecordingState.DELETED:
      return TOMBSTONE_TEXT;
  }
}

@Resolver(() => RecordingType)
export class RecordingResolver {
  constructor(
    private readonly queries: RecordingQueryService,
    private readonly control: RecordingControlService,
    private readonly deletions: RecordingDeletionService,
    private readonly users: UserService,
  ) {}

  @Auth(...EVERY_ROLE)
  @Query(() => RecordingType)
  async recording(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<RecordingType> {
    return this.queries.get(ctx.viewer!, id);
  }

  @Auth(...EVERY_ROLE)
  @Query(() => AgentRecordingStatusType, { description: "The agent's live recording state; agentId is an id or an email." })
  async agentRecordingStatus(@Arg("agentId", () => ID) agentId: string, @Ctx() ctx: GraphQLContext): Promise<AgentRecordingStatusType> {
    const { agent, recording } = await this.queries.agentStatus(ctx.viewer!, agentId);
    return { agentId: agent.id, state: recording?.state ?? null, recording };
  }

  @Auth(...CONTROLLERS)
  @Mutation(() => RecordingType, { description: "Adds your pause hold. Pausing again with the same holdKey changes nothing." })
  async pauseRecording(@Arg("input", () => PauseRecordingInput) input: PauseRecordingInput, @Ctx() ctx: GraphQLContext): Promise<RecordingType> {
    const viewer = ctx.viewer!;
    return withHolds(
      await this.control.pause(viewer, ctx.requestId, {
        target: targetOf(input),
        requestedAt: ctx.receivedAt,
        holdKey: input.holdKey,
        reason: input.reason,
        source: sourceOf(viewer),
      }),
    );
  }

  @Auth(...CONTROLLERS)
  @Mutation(() => RecordingType, { description: "Releases your hold(s); recording resumes when no hold remains. force releases all." })
  async resumeRecording(@Arg("input", () => ResumeRecordingInput) input: ResumeRecordingInput, @Ctx() ctx: GraphQLContext): Promise<RecordingType> {
    const viewer = ctx.viewer!;
    return withHolds(
      await this.control.resume(viewer, ctx.requestId, {
        target: targetOf(input),
        holdKey: input.holdKey,
        reason: input.reason,
        force: input.force,
        source: sourceOf(viewer),
      }),
    );
  }

  @Auth(Role.COMPLIANCE_ADMINISTRATOR)
  @Mutation(() => DeletionReceiptType, { description: "Irrecoverably destroys the audio; the timeline keeps a tombstone." })
  async deleteRecording(@Arg("input", () => DeleteRecordingInput) input: DeleteRecordingInput, @Ctx() ctx: GraphQLContext): Promise<DeletionReceiptType> {
    return this.deletions.delete(ctx.viewer!, ctx.requestId, input.recordingId, input.reason);
  }

  @FieldResolver(() => [PauseHoldType])
  async activeHolds(@Root() recording: RecordingResult): Promise<PauseHoldType[]> {
    const holds = recording.activeHoldsLoaded ?? (await this.queries.activeHolds(recording.id));
    return holds.map(toHoldType);
  }

  @Auth(...SUPERVISORS, Role.AGENT)
  @FieldResolver(() => [PauseIntervalType], { nullable: true, description: "Every paused span, with its start and end offsets." })
  async pauseIntervals(@Root() recording: RecordingType): Promise<PauseIntervalType[]> {
    return this.queries.pauseIntervals(recording.id);
  }

  @Auth(...SUPERVISORS)
  @FieldResolver(() => RecordingDeletionType, { nullable: true, description: "Who deleted the recording, when and why." })
  deletion(@Root() recording: RecordingType): RecordingDeletionType | null {
    if (!recording.deletedAt) return null;
    return { deletedAt: recording.deletedAt, deletedById: recording.deletedById as string, reason: recording.deletionReason as string };
  }

  @FieldResolver(() => String, { description: 'What the Conversation Timeline shows; "Recording has been deleted" once deleted.' })
  timelineText(@Root() recording: RecordingType): string {
    return timelineTextOf(recording.state);
  }

  @FieldResolver(() => UserType, { nullable: true })
  async agent(@Root() recording: RecordingType): Promise<UserType | null> {
    return this.users.findById(recording.agentId);
  }
}

export function toHoldType(hold: {
  id: string;
  holderId: string;
  holdKey: string;
  reason: string | null;
  source: ControlSource;
  createdAt: Date | string;
  releasedAt?: Date | null;
  releaseKind?: PauseHoldType["releaseKind"];
}): PauseHoldType {
  return {
    id: hold.id,
    holderId: hold.holderId,
    holdKey: hold.holdKey || null,
    reason: hold.reason,
    source: hold.source,
    createdAt: new Date(hold.createdAt),
    releasedAt: hold.releasedAt ?? null,
    releaseKind: hold.releaseKind ?? null,
  };
}
