import type { QueryRunner } from "typeorm";

/** A unit of work's last (and only) batch, to be committed together with other units'. */
export interface GroupMember<Result> {
  runner: QueryRunner;
  /** The member's statements as SQL text, in order, and which of them give the member a result. */
  texts: string[];
  own: boolean[];
  values: unknown[];
  /** The member's own error for a failure at one of its statements (its guard's, or the driver's). */
  failure: (error: unknown) => unknown;
  /** The member's results, from the result sets of its own statements. */
  results: (sets: unknown[]) => Result;
}

interface Waiting<Result> {
  member: GroupMember<Result>;
  resolve: (results: Result) => void;
  reject: (error: unknown) => void;
}

/** mysql2's callback connection (or pool): its `query` binds the values and runs a multi-statement text. */
export interface MysqlCallbackConnection {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

/** Units per group: the text of 64 pauses stays far below max_allowed_packet, and one failure re-sends at most 63. */
const MAX_GROUP = 64;
/**
 * Groups committing at once, each on its own connection: with one, the database ran every pause on one thread
 * while its other threads idled; with two it works on one group while the other travels, and groups still form.
 */
const MAX_IN_FLIGHT = 2;
export const START = "START TRANSACTION";
export const COMMIT = "COMMIT";
/** How many members of the group ran to their end: tells, after a failure, whose statement failed. */
const DONE = "@callvault_group_done";

const query = (connection: MysqlCallbackConnection, text: string, values: unknown[]) =>
  new Promise<unknown>((resolve, reject) => connection.query(text, values, (error, result) => (error ? reject(error) : resolve(result))));

/**
 * Group commit on MySQL/MariaDB: the last batches of units that had sent nothing before it (a pause or resume
 * on a snapshot, a call starting) and are ready in the same event-loop turn go out as ONE multi-statement
 * transaction on one of their connections, with one COMMIT. Every round trip to the database wakes one of its
 * threads and this process again, and on a machine whose cores the database shares that switching, not the
 * statements, is what a pause costs most; a group of N pays it once instead of N times.
 *
 * Each member stays all-or-nothing and fails alone: when a statement fails, the transaction is rolled back,
 * `DONE` (a session variable, which survives the rollback) tells whose statement it was, that member fails
 * with its own error (a deadlock or lock timeout is retried by its unit like any other), and the others are
 * sent again. Members are answered only when the group has settled: until then the connection it runs on
 * belongs to a member whose unit must not release it. At most MAX_IN_FLIGHT groups are in flight; members
 * arriving meanwhile form the next, so a group grows with the load and a lone request waits only for its turn.
 */
export class MysqlGroupCommit {
  /** Since start: groups committed, the units in them and the round trips they took (more than one after a failure). */
  readonly stats = { groups: 0, units: 0, roundTrips: 0 };
  private pending: Waiting<unknown>[] = [];
  private scheduled = false;
  private inFlight = 0;

  submit<Result>(member: GroupMember<Result>): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ member, resolve, reject } as Waiting<unknown>);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT || this.pending.length === 0) return;
    this.scheduled = true;
    // After this turn's I/O: the requests read in the same turn join the group.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.inFlight++;
    const group = this.pending.splice(0, MAX_GROUP);
    this.stats.groups++;
    this.stats.units += group.length;
    try {
      await this.commit(group);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async commit(group: Waiting<unknown>[]): Promise<void> {
    const outcomes = new Map<Waiting<unknown>, { ok: true; value: unknown } | { ok: false; error: unknown }>();
    try {
      const connection = (await group[0].member.runner.connect()) as MysqlCallbackConnection;
      let remaining = group;
      while (remaining.length > 0) {
        const { text, values, slices } = groupText(remaining.map((waiting) => waiting.member));
        this.stats.roundTrips++;
        try {
          const sets = (await query(connection, text, values)) as unknown[];
          remaining.forEach((waiting, i) => outcomes.set(waiting, { ok: true, value: waiting.member.results(slices[i].map((index) => sets[index])) }));
          break;
        } catch (error) {
          if ((error as { fatal?: boolean }).fatal) throw error;
          const [, rows] = (await query(connection, `ROLLBACK;\nSELECT ${DONE} AS done`, [])) as [unknown, { done: number | string }[]];
          const done = Number(rows[0].done);
          // Every member ran and the COMMIT itself failed: none of them is written.
          if (!(done < remaining.length)) throw error;
          const failed = remaining[done];
          outcomes.set(failed, { ok: false, error: failed.member.failure(error) });
          remaining = remaining.filter((waiting) => waiting !== failed);
        }
      }
    } catch (error) {
      for (const waiting of group) if (!outcomes.has(waiting)) outcomes.set(waiting, { ok: false, error });
    }
    for (const [waiting, outcome] of outcomes) {
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    }
  }
}

/** START; DONE = 0; member 1's statements; DONE = 1; …; COMMIT — and where each member's result sets are. */
function groupText(members: GroupMember<unknown>[]): { text: string; values: unknown[]; slices: number[][] } {
  const texts = [START, `SET ${DONE} = 0`];
  const values: unknown[] = [];
  const slices: number[][] = [];
  members.forEach((member, i) => {
    const slice: number[] = [];
    member.texts.forEach((text, j) => {
      if (member.own[j]) slice.push(texts.length);
      texts.push(text);
    });
    texts.push(`SET ${DONE} = ${i + 1}`);
    values.push(...member.values);
    slices.push(slice);
  });
  texts.push(COMMIT);
  return { text: texts.join(";\n"), values, slices };
}
