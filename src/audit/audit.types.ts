import { GraphQLJSONObject } from "graphql-scalars";
import { MaxLength } from "class-validator";
import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType } from "type-graphql";
import { Role } from "../auth/role";
import { AuditAction } from "./audit-action";
import { AuditCheckpointType } from "./audit-checkpoint.types";

@ObjectType("AuditEntry", { description: "Append-only, hash-chained record of a sensitive action." })
export class AuditEntryType {
  @Field(() => Int)
  position!: number;

  @Field(() => GraphQLISODateTime)
  occurredAt!: Date;

  @Field(() => ID, { nullable: true, description: "null for actions taken by the system." })
  actorId!: string | null;

  @Field(() => [Role], { description: "The roles the actor held when acting." })
  actorRoles!: Role[];

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => String)
  targetType!: string;

  @Field(() => ID)
  targetId!: string;

  @Field(() => GraphQLJSONObject)
  details!: Record<string, unknown>;

  @Field(() => String)
  requestId!: string;

  @Field(() => String, { description: "SHA-256 of the previous entry." })
  prevHash!: string;

  @Field(() => String, { description: "SHA-256 of this entry's content and prevHash." })
  hash!: string;
}

@ObjectType("AuditEdge")
export class AuditEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEntryType)
  node!: AuditEntryType;
}

@ObjectType("AuditPageInfo")
export class AuditPageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType("AuditConnection")
export class AuditConnectionType {
  @Field(() => [AuditEdgeType])
  edges!: AuditEdgeType[];

  @Field(() => AuditPageInfoType)
  pageInfo!: AuditPageInfoType;
}

@InputType()
export class AuditFilterInput {
  @Field(() => AuditAction, { nullable: true })
  action?: AuditAction;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  targetId?: string;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  actorId?: string;

  @Field(() => GraphQLISODateTime, { nullable: true })
  from?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  to?: Date;
}

@ObjectType("AuditChainVerification")
export class AuditChainVerificationType {
  @Field(() => Boolean)
  valid!: boolean;

  @Field(() => Int)
  checkedEntries!: number;

  @Field(() => Int, { nullable: true, description: "The first entry whose hash or link does not verify." })
  firstInvalidPosition!: number | null;

  @Field(() => Int, {
    description: "Entries committed but not chained yet when the walk ended (normally 0: the sequencer chains within milliseconds; more means it cannot run).",
  })
  unchainedEntries!: number;

  @Field(() => Boolean, { description: "The log ends before the latest signed checkpoint: its newest entries were removed." })
  truncated!: boolean;

  @Field(() => Boolean, { nullable: true, description: "null without a checkpoint; false when its signature, or the entry at its position, does not match." })
  checkpointVerified!: boolean | null;

  @Field(() => AuditCheckpointType, { nullable: true })
  latestCheckpoint!: AuditCheckpointType | null;
}
