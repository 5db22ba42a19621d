import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { RecordingState } from "../src/recordings/recording-state";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { recordTone } from "./support/record-audio";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const inTwoHours = () => new Date(Date.now() + 2 * 3600_000);

/** A call with real audio whose recording is AVAILABLE. */
async function recordedCall() {
  const ids = await startCall(t, s);
  await recordTone(t, s.apiUser.token, ids.callId);
  await t.app.services.calls.end(s.apiUser.viewer, "t", ids.callId);
  return ids;
}

describe("the media sweeper", () => {
  it("keeps a complete MP3 whose process died between publishing it and recording that (WRITING row, committed object)", async () => {
    const { recordingId } = await recordedCall();
    const before = (await t.app.services.media.find(recordingId))!;
    const ds = t.app.services.dataSource;
    // The state such a crash leaves: the object is published, the row still says WRITING, the call has ended.
    await ds.getRepository(RecordingMediaEntity).update({ recordingId }, { status: MediaStatus.WRITING, sha256: null, sizeBytes: null });
    const { sequence } = await ds.getRepository(RecordingEntity).findOneByOrFail({ id: recordingId });
    await ds.getRepository(RecordingEntity).update({ id: recordingId }, { state: RecordingState.PROCESSING, sequence: sequence + 1 });

    const report = await t.app.services.sweeper.sweep({}, inTwoHours());
    expect(report.recoveredIngests).toBe(1);
    expect(await t.app.services.media.find(recordingId)).toMatchObject({ status: MediaStatus.STORED, sha256: before.sha256, sizeBytes: before.sizeBytes });
    expect(await t.app.services.recordings.find(recordingId)).toMatchObject({ state: RecordingState.AVAILABLE, sha256: before.sha256 });
  });

  it("removes objects no row points to, and the objects of shredded recordings", async () => {
    const { recordingId } = await recordedCall();
    const media = (await t.app.services.media.find(recordingId))!;
    const orphan = await t.app.services.media.store.beginUpload(`recordings/${recordingId}/stray.mp3.enc`);
    await orphan.write(new Uint8Array([1, 2, 3]));
    await orphan.commit();
    await t.app.services.dataSource.getRepository(RecordingMediaEntity).update({ recordingId }, { status: MediaStatus.SHREDDED, wrappedKey: null });

    const report = await t.app.services.sweeper.sweep({}, inTwoHours());
    expect(report.orphanObjectsRemoved).toBeGreaterThanOrEqual(1);
    expect(report.shreddedObjectsRemoved).toBe(1);
    expect(await t.app.services.media.store.stat(`recordings/${recordingId}/stray.mp3.enc`)).toBeNull();
    expect(await t.app.services.media.store.stat(media.objectKey)).toBeNull();
  });

  it("never touches a live ingest on this instance", async () => {
    const { callId, recordingId } = await startCall(t, s);
    const session = await t.app.services.sessions.open(recordingId);
    await t.app.services.sweeper.sweep({}, inTwoHours());
    expect(await t.app.services.media.find(recordingId)).toMatchObject({ status: MediaStatus.WRITING });
    await t.app.services.sessions.close(session);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
