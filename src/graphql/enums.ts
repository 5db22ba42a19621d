import { registerEnumType } from "type-graphql";
import { AuditAction } from "../audit/audit-action";
import { Role } from "../auth/role";
import { CallStatus } from "../calls/call.entity";
import { TimelineChangeKind } from "../events/topics";
import { LegalHoldScope } from "../legal-holds/legal-hold.entity";
import { RetentionRunStatus } from "../retention/retention-run.entity";
import { ControlSource, HoldReleaseKind, RecordingState } from "../recordings/recording-state";

registerEnumType(Role, { name: "Role", description: "Roles are stored per user; a change applies on the next request." });
registerEnumType(RecordingState, { name: "RecordingState" });
registerEnumType(ControlSource, { name: "ControlSource", description: "Where a pause, resume or other change came from." });
registerEnumType(HoldReleaseKind, { name: "HoldReleaseKind" });
registerEnumType(CallStatus, { name: "CallStatus" });
registerEnumType(AuditAction, { name: "AuditAction" });
registerEnumType(TimelineChangeKind, { name: "TimelineChangeKind" });
registerEnumType(LegalHoldScope, { name: "LegalHoldScope" });
registerEnumType(RetentionRunStatus, { name: "RetentionRunStatus" });
