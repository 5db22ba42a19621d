/**
 * What happens to a recording once its call has ended and it is PROCESSING. The media plane turns the
 * ingested audio into the final MP3; without one, the recording becomes AVAILABLE with no audio.
 */
export interface RecordingFinalizer {
  finalize(recordingId: string): Promise<void>;
}

/** Destroys a recording's audio. `shredInTransaction` runs in the transaction that writes the tombstone. */
export interface RecordingShredder {
  shredInTransaction(uow: import("../database/transaction").UnitOfWork, recordingId: string): Promise<void>;
}

export const NO_MEDIA_SHREDDER: RecordingShredder = { shredInTransaction: async () => undefined };
