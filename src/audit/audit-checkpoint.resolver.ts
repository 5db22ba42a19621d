import { Args, Query, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { AuditCheckpointEntity } from "./audit-checkpoint.entity";
import { AuditCheckpointService } from "./audit-checkpoint.service";
import { AuditCheckpointsArgs, AuditCheckpointType } from "./audit-checkpoint.types";

export const toCheckpointType = (checkpoint: AuditCheckpointEntity, publicKey: string): AuditCheckpointType => ({ ...checkpoint, publicKey });

@Resolver()
export class AuditCheckpointResolver {
  constructor(private readonly checkpoints: AuditCheckpointService) {}

  @Auth(Permission.ReadAudit)
  @Query(() => [AuditCheckpointType], { description: "Signed checkpoints of the audit chain, newest first." })
  async auditCheckpoints(@Args(() => AuditCheckpointsArgs) args: AuditCheckpointsArgs): Promise<AuditCheckpointType[]> {
    const page = await this.checkpoints.list(args.first, args.beforePosition ?? undefined);
    return page.checkpoints.map((checkpoint) => toCheckpointType(checkpoint, this.checkpoints.signer.publicKeyBase64));
  }
}
