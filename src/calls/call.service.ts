import { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import { Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode, notFound } from "../common/errors";
import { newId } from "../common/ids";
import { CustomerService } from "../customers/customer.service";
import { isUniqueViolation } from "../database/errors";
import { forDialect, SqlStatement } from "../database/raw-sql";
import { dbTime } from "../database/sql-time";
import { TransactionRunner, UnitOfWork } from "../database/transaction";
import { TimelineChangeKind } from "../events/topics";
import type { RecordingFinalizer } from "../recordings/recording-finalizer";
import { RecordingStateMachine, RecordingTransition } from "../recordings/recording-state-machine";
import { ControlSource, HoldReleaseKind, RecordingState } from "../recordings/recording-state";
import { holdSnapshot } from "../recordings/recording-store";
import { RecordingEntity } from "../recordings/recording.entity";
import { UserService } from "../users/user.service";
import { CallEntity, CallStatus } from "./call.entity";

export interface StartCallCommand {
  customerId: string;
  agentRef: string;
  externalRef?: string;
  source?: ControlSource;
}

export interface CallWithRecording {
  call: CallEntity;
  recording: RecordingEntity;
}

export const EXTERNAL_REF_MAX = 64;

const INSERT_CALL = `INSERT INTO "calls" ("id", "customerId", "agentId", "status", "activeAgentKey", "externalRef", "startedAt", "endedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_CALL_MYSQL = forDialect(INSERT_CALL, true);

function insertCallStatement(uow: UnitOfWork, call: CallEntity): SqlStatement {
  return {
    text: uow.dialect === "mysql" ? INSERT_CALL_MYSQL : INSERT_CALL,
    values: [call.id, call.customerId, call.agentId, call.status, call.activeAgentKey, call.externalRef, dbTime(call.startedAt), call.endedAt ? dbTime(call.endedAt) : null],
  };
}

export class CallService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly users: UserService,
    private readonly customers: CustomerService,
    private readonly audit: AuditService,
    private readonly recordingStates: RecordingStateMachine,
    private readonly finalizer: RecordingFinalizer,
  ) {}

  async get(callId: string): Promise<CallEntity> {
    const call = await this.dataSource.getRepository(CallEntity).findOne({ where: { id: callId } });
    if (!call) throw notFound("Call", callId);
    return call;
  }

  /** Starts a call and its recording, which begins RECORDING at sequence 1. */
  async start(actor: Viewer | undefined, requestId: string, command: StartCallCommand): Promise<CallWithRecording> {
    const externalRef = command.externalRef?.trim() || null;
    if (externalRef && externalRef.length > EXTERNAL_REF_MAX) throw badInput(`externalRef must be at most ${EXTERNAL_REF_MAX} characters`, "externalRef");
    // Read together; a missing customer is reported first, as when they were read one after the other.
    const [customerRead, agentRead] = await Promise.allSettled([this.customers.get(command.customerId), this.users.viewerByReference(command.agentRef)]);
    if (customerRead.status === "rejected") throw customerRead.reason;
    if (agentRead.status === "rejected") throw agentRead.reason;
    const customer = customerRead.value;
    const agent = agentRead.value;
    if (!agent) throw notFound("Agent", command.agentRef);
    if (!agent.roles.has(Role.AGENT)) throw badInput(`user ${agent.email} is not an agent`, "agentId");
    const source = command.source ?? ControlSource.API;
    try {
      return await this.transactions.run(async (uow) => {
        const now = new Date();
        const call = Object.assign(new CallEntity(), {
          id: newId(),
          customerId: customer.id,
          agentId: agent.userId,
          status: CallStatus.ACTIVE,
          activeAgentKey: agent.userId,
          externalRef,
          startedAt: now,
          endedAt: null,
        });
        const recording = Object.assign(new RecordingEntity(), {
          id: newId(),
          callId: call.id,
          customerId: customer.id,
          agentId: agent.userId,
          state: RecordingState.RECORDING,
          sequence: 1,
          startedAt: now,
          endedAt: null,
          durationMs: null,
          sizeBytes: null,
          sha256: null,
          deletedAt: null,
          deletedById: null,
          deletionReason: null,
          updatedAt: now,
        });
        // One round trip with its COMMIT on MySQL. An agent already on a call is refused by the unique
        // activeAgentKey (a unique violation, below), not by a read first.
        await uow.sqlBatch(
          [
            insertCallStatement(uow, call),
            this.recordingStates.create(uow, recording, { actor, source, timeline: TimelineChangeKind.CALL_STARTED }),
            this.audit.appendStatement(uow, {
              actor,
              action: AuditAction.CALL_STARTED,
              targetType: "CALL",
              targetId: call.id,
              details: { customerId: customer.id, agentId: agent.userId, recordingId: recording.id, externalRef },
              requestId,
            }),
          ],
          { commit: true },
        );
        return { call, recording };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw agentBusy(agent.email);
      throw error;
    }
  }

  /** Ends the call: every hold is released, the recording goes to PROCESSING, then to the finalizer. Idempotent. */
  async end(actor: Viewer | undefined, requestId: string, callId: string, source = ControlSource.API): Promise<CallWithRecording> {
    const result = await this.transactions.run(async (uow) => {
      const call = await uow.manager.findOne(CallEntity, { where: { id: callId }, lock: uow.lock });
      if (!call) throw notFound("Call", callId);
      const locked = await this.recordingStates.lockOfCall(uow, callId);
      if (!locked) throw new Error(`call ${callId} has no recording`);
      const { recording, holds } = locked;
      if (call.status === CallStatus.ENDED) return { call, recording, ended: false };

      const now = new Date();
      const durationMs = now.getTime() - recording.startedAt.getTime();
      await this.recordingStates.apply(uow, recording, {
        transition: RecordingTransition.END,
        at: now,
        actor,
        source,
        changes: { endedAt: now, durationMs },
        releaseHolds: { holds, by: null, kind: HoldReleaseKind.CALL_ENDED },
        activeHolds: [],
        audit: {
          action: AuditAction.CALL_ENDED,
          requestId,
          targetType: "CALL",
          targetId: call.id,
          details: (ended, result) => ({ recordingId: ended.id, durationMs, previousState: result.previousState, releasedHolds: holds.map(holdSnapshot) }),
        },
        timeline: TimelineChangeKind.CALL_ENDED,
      });
      await uow.manager.update(CallEntity, { id: call.id }, { status: CallStatus.ENDED, endedAt: now, activeAgentKey: null });
      Object.assign(call, { status: CallStatus.ENDED, endedAt: now, activeAgentKey: null });
      return { call, recording, ended: true };
    });
    // Also when the call had already ended: a crash may have left its recording unsettled (PROCESSING).
    if (result.ended || result.recording.state === RecordingState.PROCESSING) {
      await this.finalizer.finalize(result.recording.id);
      const refreshed = await this.dataSource.getRepository(RecordingEntity).findOne({ where: { id: result.recording.id } });
      if (refreshed) result.recording = refreshed;
    }
    return { call: result.call, recording: result.recording };
  }
}

const agentBusy = (agent: string) => new DomainError(ErrorCode.AgentBusy, `agent ${agent} is already on a live call`);
