import { Max, MaxLength, Min } from "class-validator";
import { Args, ArgsType, Field, Int, Query, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { badInput } from "../common/errors";
import { Auth } from "../graphql/auth";
import { toCheckpointType } from "./audit-checkpoint.resolver";
import { AuditCheckpointService } from "./audit-checkpoint.service";
import { AuditService } from "./audit.service";
import { AuditChainVerificationType, AuditConnectionType, AuditEntryType, AuditFilterInput } from "./audit.types";

const AUDIT_PAGE_MAX = 200;

@ArgsType()
class AuditLogArgs {
  @Field(() => Int, { defaultValue: 50 })
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true })
  @MaxLength(32)
  after?: string;

  @Field(() => AuditFilterInput, { nullable: true })
  filter?: AuditFilterInput;
}

const cursorOf = (position: number) => Buffer.from(`audit:${position}`).toString("base64url");

function positionOf(cursor: string): number {
  const match = /^audit:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw badInput("after is not a valid cursor", "after");
  return Number(match[1]);
}

@Resolver()
export class AuditResolver {
  constructor(
    private readonly audit: AuditService,
    private readonly checkpoints: AuditCheckpointService,
  ) {}

  @Auth(Permission.ReadAudit)
  @Query(() => AuditConnectionType, { description: "Newest first." })
  async auditLog(@Args(() => AuditLogArgs) args: AuditLogArgs): Promise<AuditConnectionType> {
    const page = await this.audit.list(args.first, args.after ? positionOf(args.after) : undefined, args.filter ?? {});
    const edges = page.entries.map((entry) => ({ cursor: cursorOf(entry.position), node: entry as AuditEntryType }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Auth(Permission.ReadAudit)
  @Query(() => AuditChainVerificationType, {
    description: "Recomputes every hash in the chain; detects altered, removed or reordered entries, and against the latest signed checkpoint, removed newest entries.",
  })
  async verifyAuditChain(): Promise<AuditChainVerificationType> {
    const chain = await this.audit.verify();
    const { latestCheckpoint, truncated, checkpointVerified } = await this.checkpoints.check(chain);
    return {
      ...chain,
      valid: chain.valid && !truncated && checkpointVerified !== false,
      firstInvalidPosition: chain.firstInvalidPosition ?? (truncated ? chain.checkedEntries + 1 : null),
      truncated,
      checkpointVerified,
      latestCheckpoint: latestCheckpoint && toCheckpointType(latestCheckpoint, this.checkpoints.signer.publicKeyBase64),
    };
  }
}
