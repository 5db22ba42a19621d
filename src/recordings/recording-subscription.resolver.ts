import { Args, ArgsType, Field, ID, Resolver, Root, Subscription } from "type-graphql";
import { MaxLength } from "class-validator";
import { Role } from "../auth/role";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { mapDomainErrors } from "../graphql/subscription-errors";
import type { RecordingStreamMessage } from "./recording-stream.service";
import { RecordingStateChangeType, RecordingStreamKind } from "./recording-subscription.types";
import { toHoldType } from "./recording.resolver";

@ArgsType()
export class RecordingStateChangedArgs {
  @Field(() => ID, { nullable: true, description: "An agent id or email: follows whatever call the agent is on." })
  @MaxLength(254)
  agentId?: string;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  recordingId?: string;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  customerId?: string;
}

@Resolver()
export class RecordingSubscriptionResolver {
  @Auth(Role.AGENT, Role.TEAM_MANAGER, Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR)
  @Subscription(() => RecordingStateChangeType, {
    description: "Live recording state for one agent, recording or customer (exactly one). Agents may watch only themselves.",
    subscribe: mapDomainErrors(({ args, context }) => {
      const ctx = context as GraphQLContext;
      const filter = args as RecordingStateChangedArgs;
      return ctx.streams.recordings.open(ctx.viewer!, {
        agentRef: filter.agentId ?? undefined,
        recordingId: filter.recordingId ?? undefined,
        customerId: filter.customerId ?? undefined,
      });
    }),
  })
  recordingStateChanged(@Root() message: RecordingStreamMessage, @Args(() => RecordingStateChangedArgs) _filter: RecordingStateChangedArgs): RecordingStateChangeType {
    return {
      kind: message.kind === "SNAPSHOT" ? RecordingStreamKind.SNAPSHOT : RecordingStreamKind.CHANGE,
      recordingId: message.recordingId ?? null,
      callId: message.callId ?? null,
      agentId: message.agentId ?? null,
      customerId: message.customerId ?? null,
      sequence: message.sequence ?? null,
      previousState: message.previousState ?? null,
      state: message.state ?? null,
      actorId: message.actorId ?? null,
      source: message.source ?? null,
      activeHolds: message.activeHolds.map(toHoldType),
      occurredAt: new Date(message.occurredAt),
      effectiveAt: message.effectiveAt ? new Date(message.effectiveAt) : null,
    };
  }
}
