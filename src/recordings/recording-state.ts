export enum RecordingState {
  RECORDING = "RECORDING",
  PAUSED = "PAUSED",
  PROCESSING = "PROCESSING",
  AVAILABLE = "AVAILABLE",
  FAILED = "FAILED",
  DELETED = "DELETED",
}

export const LIVE_STATES: readonly RecordingState[] = [RecordingState.RECORDING, RecordingState.PAUSED];

export const isLive = (state: RecordingState) => LIVE_STATES.includes(state);

/** Where a pause or resume came from. */
export enum ControlSource {
  AGENT_UI = "AGENT_UI",
  API = "API",
  SYSTEM = "SYSTEM",
}

export enum HoldReleaseKind {
  RESUMED = "RESUMED",
  FORCED = "FORCED",
  CALL_ENDED = "CALL_ENDED",
}

export const TOMBSTONE_TEXT = "Recording has been deleted";
