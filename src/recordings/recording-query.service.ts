import { DataSource, In, IsNull } from "typeorm";
import { assertMayViewRecording, mayViewAgent } from "../auth/row-rules";
import type { Viewer } from "../auth/viewer";
import { forbidden, notFound } from "../common/errors";
import { UserEntity } from "../users/user.entity";
import { UserService } from "../users/user.service";
import { PauseHoldEntity } from "./pause-hold.entity";
import { PauseIntervalEntity } from "./pause-interval.entity";
import { LIVE_STATES } from "./recording-state";
import { RecordingEntity } from "./recording.entity";

export interface AgentRecordingStatus {
  agent: UserEntity;
  recording: RecordingEntity | null;
}

export class RecordingQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserService,
  ) {}

  async get(viewer: Viewer, id: string): Promise<RecordingEntity> {
    const recording = await this.find(id);
    if (!recording) throw notFound("Recording", id);
    assertMayViewRecording(viewer, recording);
    return recording;
  }

  async find(id: string): Promise<RecordingEntity | null> {
    return this.dataSource.getRepository(RecordingEntity).findOne({ where: { id } });
  }

  async findByCall(callId: string): Promise<RecordingEntity | null> {
    return this.dataSource.getRepository(RecordingEntity).findOne({ where: { callId } });
  }

  async liveRecordingOfAgent(agentId: string): Promise<RecordingEntity | null> {
    return this.dataSource.getRepository(RecordingEntity).findOne({ where: { agentId, state: In([...LIVE_STATES]) } });
  }

  /** The agent's current live recording, or none. Agents may ask only about themselves. */
  async agentStatus(viewer: Viewer, agentRef: string): Promise<AgentRecordingStatus> {
    const agent = await this.users.getByReference(agentRef, "Agent");
    if (!mayViewAgent(viewer, agent.id)) throw forbidden("agents may only see their own recording status");
    return { agent, recording: await this.liveRecordingOfAgent(agent.id) };
  }

  /** For the customer filter's snapshot: the live recording if there is one, else the newest. */
  async currentRecordingOfCustomer(customerId: string, agentId?: string): Promise<RecordingEntity | null> {
    const repo = this.dataSource.getRepository(RecordingEntity);
    const scope = agentId ? { customerId, agentId } : { customerId };
    return (
      (await repo.findOne({ where: { ...scope, state: In([...LIVE_STATES]) } })) ??
      (await repo.findOne({ where: scope, order: { startedAt: "DESC", id: "DESC" } }))
    );
  }

  async activeHolds(recordingId: string): Promise<PauseHoldEntity[]> {
    return this.dataSource.getRepository(PauseHoldEntity).find({
      where: { recordingId, releasedAt: IsNull() },
      order: { createdAt: "ASC", id: "ASC" },
    });
  }

  async pauseIntervals(recordingId: string): Promise<PauseIntervalEntity[]> {
    return this.dataSource.getRepository(PauseIntervalEntity).find({ where: { recordingId }, order: { startedAt: "ASC" } });
  }

  async holdsOfInterval(intervalId: string): Promise<PauseHoldEntity[]> {
    return this.dataSource.getRepository(PauseHoldEntity).find({ where: { intervalId }, order: { createdAt: "ASC", id: "ASC" } });
  }
}
