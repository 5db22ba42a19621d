/**
 * What happens to a recording once its call has ended and it is PROCESSING: the media plane settles it,
 * AVAILABLE when its MP3 is committed, FAILED when there is no audio.
 */
export interface RecordingFinalizer {
  finalize(recordingId: string): Promise<void>;
}

/** Destroys a recording's audio. `shredInTransaction` runs in the transaction that writes the tombstone. */
export interface RecordingShredder {
  shredInTransaction(uow: import("../database/transaction").UnitOfWork, recordingId: string): Promise<void>;
}
