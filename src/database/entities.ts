import { AuditCheckpointEntity } from "../audit/audit-checkpoint.entity";
import { AuditEntryEntity } from "../audit/audit-entry.entity";
import { AuditHeadEntity } from "../audit/audit-head.entity";
import { CallEntity } from "../calls/call.entity";
import { CustomerEntity } from "../customers/customer.entity";
import { LegalHoldEntity } from "../legal-holds/legal-hold.entity";
import { RecordingMediaEntity } from "../recording-media/recording-media.entity";
import { LeaseEntity } from "../leases/lease.entity";
import { PauseHoldEntity } from "../recordings/pause-hold.entity";
import { PauseIntervalEntity } from "../recordings/pause-interval.entity";
import { RecordingEntity } from "../recordings/recording.entity";
import { ApiTokenEntity } from "../users/api-token.entity";
import { RetentionPolicyEntity } from "../retention/retention-policy.entity";
import { RetentionRunEntity } from "../retention/retention-run.entity";
import { UserRoleEntity } from "../users/user-role.entity";
import { UserEntity } from "../users/user.entity";

export const ENTITIES = [
  UserEntity,
  UserRoleEntity,
  CustomerEntity,
  CallEntity,
  RecordingEntity,
  RecordingMediaEntity,
  PauseIntervalEntity,
  PauseHoldEntity,
  AuditEntryEntity,
  AuditHeadEntity,
  ApiTokenEntity,
  LeaseEntity,
  LegalHoldEntity,
  AuditCheckpointEntity,
  RetentionPolicyEntity,
  RetentionRunEntity,
];
