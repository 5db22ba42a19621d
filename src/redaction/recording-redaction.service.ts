import { createHash } from "node:crypto";
import { AuditAction } from "../audit/audit-action";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode, notFound } from "../common/errors";
import type { LegalHoldService } from "../legal-holds/legal-hold.service";
import { legalHoldError } from "../legal-holds/legal-hold.service";
import { TimelineChangeKind } from "../events/topics";
import { msToSamples } from "../media/media-frame";
import { AudioUnavailableError, RecordingMediaService } from "../recording-media/recording-media.service";
import { RecordingQueryService } from "../recordings/recording-query.service";
import { ControlSource, RecordingState } from "../recordings/recording-state";
import { RecordingStateMachine, RecordingTransition } from "../recordings/recording-state-machine";
import type { RecordingEntity } from "../recordings/recording.entity";
import { Mp3Redactor } from "./mp3-redactor";
import { sampleSpanOf, secondsOf } from "./redaction-span";
import { requireVisibleText } from "../common/reason";

export interface RedactionRequest {
  recordingId: string;
  fromSeconds: number;
  toSeconds: number;
  reason: string;
}

export interface RedactionReceipt {
  recording: RecordingEntity;
  /** The span actually silenced, on whole samples (at least what was asked, clamped to the recording). */
  fromSeconds: number;
  toSeconds: number;
  reason: string;
  redactedAt: Date;
  redactedById: string;
  previousMp3Sha256: string | null;
  mp3Sha256: string;
}

export const REDACTION_REASON_MAX = 1000;

const notAvailable = (recording: RecordingEntity, why = `it is ${recording.state}`) =>
  new DomainError(ErrorCode.RecordingNotAvailable, `recording ${recording.id} cannot be redacted: ${why}; only an AVAILABLE recording with audio can`, {
    state: recording.state,
  });

const changedMeanwhile = (recordingId: string) =>
  new DomainError(ErrorCode.Conflict, `recording ${recordingId} changed while it was being redacted; try again`);

/**
 * Silences a span of an AVAILABLE recording for good: the MP3 is re-encoded with the span silenced into a
 * new object under a new data key, and the swap overwrites the old wrapped key, which shreds the old audio
 * (backups included) exactly as deletion does. The slow work runs before the transaction; the transaction
 * only swaps, conditional on nothing having changed meanwhile.
 */
export class RecordingRedactionService {
  constructor(
    private readonly machine: RecordingStateMachine,
    private readonly media: RecordingMediaService,
    private readonly recordings: RecordingQueryService,
    private readonly redactor: Mp3Redactor,
    private readonly legalHolds: Pick<LegalHoldService, "assertNotHeld" | "activeHoldsOn">,
  ) {}

  async redact(viewer: Viewer, requestId: string, request: RedactionRequest): Promise<RedactionReceipt> {
    const reason = requireVisibleText(request.reason, { field: "reason", max: REDACTION_REASON_MAX, requiredFor: "to redact a recording" });

    const recording = await this.recordings.find(request.recordingId);
    if (!recording) throw notFound("Recording", request.recordingId);
    if (recording.state !== RecordingState.AVAILABLE) throw notAvailable(recording);
    const [hold] = await this.legalHolds.activeHoldsOn(recording);
    if (hold) throw legalHoldError(recording.id, hold);
    const { media, reader } = await this.whileAvailable(recording, () => this.media.openAudio(recording.id));
    if (!media.durationMs) throw notAvailable(recording, "it has no stored audio");
    const totalSamples = msToSamples(media.durationMs);
    const span = sampleSpanOf(request.fromSeconds, request.toSeconds, totalSamples);
    // The whole MP3 in memory: about 14 MB per hour at 32 kbps.
    const mp3 = await this.whileAvailable(recording, () => reader.readAll());

    const redacted = await this.redactor.silence(mp3, totalSamples, span);
    const produced = { sizeBytes: redacted.mp3.length, sha256: createHash("sha256").update(redacted.mp3).digest("hex"), durationMs: media.durationMs };
    const replacement = await this.media.beginReplacement(media);
    try {
      await replacement.writer.write(redacted.mp3);
      await replacement.writer.commit();
    } catch (error) {
      await replacement.writer.abort().catch(() => undefined);
      throw error;
    }

    try {
      return await this.machine.run(async (uow) => {
        const current = (await this.machine.lock(uow, recording.id))?.recording;
        if (!current) throw notFound("Recording", recording.id);
        if (current.state !== RecordingState.AVAILABLE) throw notAvailable(current);
        // Still AVAILABLE but moved on: another redaction won the race, and ours was made from stale audio.
        if (current.sequence !== recording.sequence) throw changedMeanwhile(recording.id);
        await this.legalHolds.assertNotHeld(uow, current);
        if (!(await this.media.swapInTransaction(uow, recording.id, media.generation, replacement, produced))) throw changedMeanwhile(recording.id);
        const now = new Date();
        const receipt: RedactionReceipt = {
          recording: current,
          fromSeconds: secondsOf(span.fromSample),
          toSeconds: secondsOf(span.toSample),
          reason,
          redactedAt: now,
          redactedById: viewer.userId,
          previousMp3Sha256: media.sha256,
          mp3Sha256: produced.sha256,
        };
        await this.machine.apply(uow, current, {
          transition: RecordingTransition.REDACT,
          at: now,
          actor: viewer,
          source: ControlSource.API,
          changes: { sha256: produced.sha256, sizeBytes: produced.sizeBytes },
          activeHolds: [],
          audit: {
            action: AuditAction.RECORDING_REDACTED,
            requestId,
            details: (redacted) => ({
              reason,
              fromSeconds: receipt.fromSeconds,
              toSeconds: receipt.toSeconds,
              requestedFromSeconds: request.fromSeconds,
              requestedToSeconds: request.toSeconds,
              previousMp3Sha256: receipt.previousMp3Sha256,
              mp3Sha256: receipt.mp3Sha256,
              mediaGeneration: replacement.generation,
              agentId: redacted.agentId,
              customerId: redacted.customerId,
            }),
          },
          timeline: TimelineChangeKind.RECORDING_REDACTED,
        });
        return receipt;
      });
    } catch (error) {
      await this.media.discardReplacement(recording.id, replacement.objectKey).catch(() => undefined);
      throw error;
    }
  }

  /** Runs a read of the audio; a failure caused by the recording changing meanwhile is reported as such. */
  private async whileAvailable<T>(recording: RecordingEntity, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof AudioUnavailableError) throw notAvailable(recording, "it has no stored audio");
      // A deletion or another redaction may have removed the object while it was being read.
      const now = await this.recordings.find(recording.id);
      if (now && now.state !== RecordingState.AVAILABLE) throw notAvailable(now);
      if (now && now.sequence !== recording.sequence) throw changedMeanwhile(recording.id);
      throw error;
    }
  }
}
