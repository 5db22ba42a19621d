import { RecordingEntity } from "../../src/recordings/recording.entity";
import type { TestApp } from "./test-app";

/** Test setup only: makes a recording look `days` old (retention counts from startedAt). */
export async function backdateRecording(t: TestApp, recordingId: string, days: number): Promise<void> {
  await t.app.services.dataSource.getRepository(RecordingEntity).update({ id: recordingId }, { startedAt: new Date(Date.now() - days * 86_400_000) });
}
