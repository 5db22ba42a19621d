import fs from "node:fs";
import path from "node:path";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { DomainError } from "../src/common/errors";
import { PauseHoldEntity } from "../src/recordings/pause-hold.entity";
import { canApply, RecordingTransition, TRANSITIONS } from "../src/recordings/recording-state-machine";
import { ControlSource, RecordingState } from "../src/recordings/recording-state";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { codesOf, gql } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const recordings = () => t.app.services.dataSource.getRepository(RecordingEntity);
const auditCount = (targetId: string) => t.app.services.dataSource.getRepository(AuditEntryEntity).count({ where: { targetId } });

/** Test setup only: puts a recording straight into `state`, bypassing the machine (as any writer must, it bumps the sequence). */
async function forceState(recordingId: string, state: RecordingState) {
  const { sequence } = await recordings().findOneByOrFail({ id: recordingId });
  await recordings().update({ id: recordingId }, { state, sequence: sequence + 1 });
}

const DELETE = /* GraphQL */ `
  mutation Delete($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }
`;
const REDACT = /* GraphQL */ `
  mutation Redact($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 } }
`;

describe("the recording state machine", () => {
  it("allows exactly the table: RECORDING ⇄ PAUSED, live → PROCESSING → AVAILABLE | FAILED → DELETED", () => {
    const edges = new Set<string>();
    for (const rule of Object.values(TRANSITIONS)) for (const from of rule.from) edges.add(`${from}→${rule.to}`);
    expect([...edges].sort()).toEqual(
      [
        "AVAILABLE→AVAILABLE",
        "AVAILABLE→DELETED",
        "FAILED→DELETED",
        "PAUSED→PAUSED",
        "PAUSED→PROCESSING",
        "PAUSED→RECORDING",
        "PROCESSING→AVAILABLE",
        "PROCESSING→FAILED",
        "RECORDING→PAUSED",
        "RECORDING→PROCESSING",
      ].sort(),
    );
  });

  it("refuses every transition the table does not allow with ILLEGAL_TRANSITION, changing nothing", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const machine = t.app.services.recordingStates;
    let refused = 0;
    for (const state of Object.values(RecordingState)) {
      await forceState(recordingId, state);
      for (const transition of Object.values(RecordingTransition)) {
        if (canApply(transition, state)) continue;
        const before = (await recordings().findOneByOrFail({ id: recordingId })).sequence;
        const audited = await auditCount(recordingId);
        const attempt = machine.run(async (uow) => {
          const locked = await machine.lock(uow, recordingId);
          await machine.apply(uow, locked!.recording, {
            transition,
            at: new Date(),
            actor: s.manager.viewer,
            source: ControlSource.API,
            activeHolds: locked!.holds,
            audit: { action: "RECORDING_PAUSED" as never, requestId: "t", details: () => ({}) },
          });
        });
        await expect(attempt).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION", details: { state, transition } });
        await expect(attempt).rejects.toBeInstanceOf(DomainError);
        const after = await recordings().findOneByOrFail({ id: recordingId });
        expect({ state: after.state, sequence: after.sequence, audited: await auditCount(recordingId) }).toEqual({ state, sequence: before, audited });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(40);
    await forceState(recordingId, RecordingState.RECORDING);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });

  it("every service refuses a transition its recording's state does not allow, and changes nothing", async () => {
    const { recordingId, callId } = await startCall(t, s, s.otherAgent);
    // Settling is only for PROCESSING: a live recording is left alone.
    expect(await t.app.services.lifecycle.markAvailable(recordingId, { durationMs: 1, sizeBytes: 1, sha256: "x" })).toBe(false);
    expect(await t.app.services.lifecycle.markFailed(recordingId)).toBe(false);
    // Resuming a recording nobody paused is a no-op; deleting or redacting a live one is refused.
    expect((await gql(t.url, RESUME, { input: { recordingId } }, s.otherAgent.token)).data?.resumeRecording.sequence).toBe(1);
    expect(codesOf(await gql(t.url, DELETE, { input: { recordingId, reason: "r" } }, s.compliance.token))).toEqual(["RECORDING_IN_PROGRESS"]);
    expect(codesOf(await gql(t.url, REDACT, { input: { recordingId, fromSeconds: 0, toSeconds: 1, reason: "r" } }, s.compliance.token))).toEqual([
      "RECORDING_NOT_AVAILABLE",
    ]);
    expect((await recordings().findOneByOrFail({ id: recordingId })).sequence).toBe(1);

    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    const ended = await recordings().findOneByOrFail({ id: recordingId });
    expect(ended.state).toBe(RecordingState.FAILED);
    // Pausing or resuming an ended recording, settling it again, or ending its call again changes nothing.
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId } }, s.otherAgent.token))).toEqual(["RECORDING_NOT_LIVE"]);
    expect(codesOf(await gql(t.url, RESUME, { input: { recordingId, force: true } }, s.manager.token))).toEqual(["RECORDING_NOT_LIVE"]);
    expect(await t.app.services.lifecycle.markAvailable(recordingId, { durationMs: 1, sizeBytes: 1, sha256: "x" })).toBe(false);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    expect(await t.app.services.dataSource.getRepository(PauseHoldEntity).count({ where: { recordingId } })).toBe(0);
    expect((await recordings().findOneByOrFail({ id: recordingId })).sequence).toBe(ended.sequence);
  });

  it("is the only writer of a recording's state: no other module updates the recordings table", () => {
    const writers = ["recordings/recording-store.ts", "recordings/recording-state-machine.ts"];
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith(".ts") && !writers.some((w) => file.endsWith(w))) {
          const source = fs.readFileSync(file, "utf8");
          const writes =
            /update\(\s*RecordingEntity/.test(source) ||
            /getRepository\(RecordingEntity\)\s*\.(update|save|insert|delete)/.test(source) ||
            /UPDATE\s+["`]?recordings["`]?/i.test(source) ||
            /insert\(\s*RecordingEntity/.test(source) ||
            /\b(updateRecordingState|openPauseInterval|closePauseInterval|addHold|releaseHolds)\s*\(/.test(source);
          if (writes) offenders.push(path.relative(process.cwd(), file));
        }
      }
    };
    walk(path.join(__dirname, "..", "src"));
    expect(offenders).toEqual([]);
  });
});

describe("a transition's writes are one unit", () => {
  it("writes nothing when its last write (the audit entry) fails: state, sequence, holds and intervals stay as they were", async () => {
    const { recordingId } = await startCall(t, s);
    const before = await recordings().findOneByOrFail({ id: recordingId });
    const holds = () => t.app.services.dataSource.getRepository(PauseHoldEntity).count({ where: { recordingId } });
    const dataSource = t.app.services.dataSource;
    // Every statement before it (the state, the pause interval, the hold) runs first in the same batch.
    await dataSource.query("ALTER TABLE audit_entries RENAME TO audit_entries_away");
    try {
      const response = await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
      expect(codesOf(response)).toEqual(["INTERNAL_SERVER_ERROR"]);
    } finally {
      await dataSource.query("ALTER TABLE audit_entries_away RENAME TO audit_entries");
    }
    const after = await recordings().findOneByOrFail({ id: recordingId });
    expect({ state: after.state, sequence: after.sequence }).toEqual({ state: before.state, sequence: before.sequence });
    expect(await holds()).toBe(0);
    const intervals = await dataSource.query("SELECT COUNT(*) AS n FROM pause_intervals WHERE recordingId = ?", [recordingId]);
    expect(Number(intervals[0].n)).toBe(0);

    // And the same pause goes through once the table is back.
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    expect((await recordings().findOneByOrFail({ id: recordingId })).sequence).toBe(before.sequence + 1);
  });
});
