import { seesOnlyOwnCalls } from "../auth/row-rules";
import { DataSource } from "typeorm";
import type { Viewer } from "../auth/viewer";
import { badInput } from "../common/errors";
import { CustomerService } from "../customers/customer.service";
import { RecordingEntity } from "../recordings/recording.entity";

export interface TimelinePage {
  recordings: RecordingEntity[];
  hasNextPage: boolean;
}

export const TIMELINE_PAGE_MAX = 100;

/** Opaque cursor over (startedAt, id), newest first. */
export const encodeTimelineCursor = (recording: Pick<RecordingEntity, "startedAt" | "id">) =>
  Buffer.from(JSON.stringify([recording.startedAt.toISOString(), recording.id])).toString("base64url");

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const startedAt = new Date(iso);
    if (typeof id !== "string" || Number.isNaN(startedAt.getTime())) throw new Error();
    return { startedAt, id };
  } catch {
    throw badInput("after is not a valid cursor", "after");
  }
}

export class TimelineService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly customers: CustomerService,
  ) {}

  /** A customer's call recordings, newest first; an agent sees only the calls they handled. */
  async list(viewer: Viewer, customerId: string, first: number, after: string | undefined): Promise<TimelinePage> {
    if (!Number.isInteger(first) || first < 1 || first > TIMELINE_PAGE_MAX) {
      throw badInput(`first must be between 1 and ${TIMELINE_PAGE_MAX}`, "first");
    }
    const cursor = after ? decodeCursor(after) : undefined;
    await this.customers.get(customerId);
    const query = this.dataSource
      .getRepository(RecordingEntity)
      .createQueryBuilder("r")
      .where("r.customerId = :customerId", { customerId })
      .orderBy("r.startedAt", "DESC")
      .addOrderBy("r.id", "DESC")
      .take(first + 1);
    if (seesOnlyOwnCalls(viewer)) query.andWhere("r.agentId = :agentId", { agentId: viewer.userId });
    if (cursor) {
      query.andWhere("(r.startedAt < :startedAt OR (r.startedAt = :startedAt AND r.id < :id))", cursor);
    }
    const rows = await query.getMany();
    return { recordings: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
