import { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import { Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode, forbidden, notFound } from "../common/errors";
import { CustomerEntity } from "../customers/customer.entity";
import { TransactionRunner } from "../database/transaction";
import { MediaStatus, RecordingMediaEntity } from "../recording-media/recording-media.entity";
import { AudioUnavailableError, RecordingMediaService } from "../recording-media/recording-media.service";
import { RecordingQueryService } from "../recordings/recording-query.service";
import { RecordingState } from "../recordings/recording-state";
import type { RecordingEntity } from "../recordings/recording.entity";
import type { EncryptedObjectReader, PlaintextRange } from "../storage/encrypted-object-reader";
import { ObjectNotFoundError } from "../storage/object-store";
import { UserService } from "../users/user.service";
import { DOWNLOAD_SECRET_PURPOSE, DownloadGrant, DownloadLinkSigner } from "./download-link";

export const MP3_CONTENT_TYPE = "audio/mpeg";

export interface RecordingDownload {
  recordingId: string;
  url: string;
  expiresAt: Date;
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

/** A link that passed every check, with its audio opened; the route streams it. */
export interface ServableDownload {
  viewer: Viewer;
  grant: DownloadGrant;
  recording: RecordingEntity;
  media: RecordingMediaEntity;
  reader: EncryptedObjectReader;
  fileName: string;
}

export interface ServedDetails {
  method: string;
  status: number;
  /** The bytes sent, or null for the whole file. */
  range: PlaintextRange | null;
  bytes: number;
}

export interface DownloadServiceOptions {
  /** The externally visible base URL (PUBLIC_URL); without it links point at the server's own origin. */
  publicUrl: string | undefined;
  ttlSeconds: number;
}

const notAvailable = (recording: RecordingEntity, reason?: string) =>
  new DomainError(ErrorCode.RecordingNotAvailable, `recording ${recording.id} is ${recording.state}${reason ? ` (${reason})` : ""}; only an available recording can be downloaded`, {
    state: recording.state,
  });

const invalidLink = () => new DomainError(ErrorCode.DownloadLinkInvalid, "this download link is not valid");
const expiredLink = (reason: "EXPIRED" | "SUPERSEDED") =>
  new DomainError(ErrorCode.DownloadLinkExpired, reason === "EXPIRED" ? "this download link has expired" : "the audio this link was issued for has been replaced", {
    reason,
  });

/**
 * Issues signed, short-lived download links and decides whether a link may still be served. A link is
 * a bearer credential, so each request re-checks everything that can change after issue: the user's
 * roles (read fresh), the recording's state and the audio's generation.
 */
export class DownloadService {
  private readonly signer: DownloadLinkSigner;
  private origin: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly users: UserService,
    private readonly recordings: RecordingQueryService,
    private readonly media: RecordingMediaService,
    private readonly options: DownloadServiceOptions,
  ) {
    this.signer = new DownloadLinkSigner(media.deriveSecret(DOWNLOAD_SECRET_PURPOSE));
  }

  /** The server's own origin, known only once it listens (port 0 in tests); used when PUBLIC_URL is unset. */
  listeningAt(origin: string): void {
    this.origin = origin;
  }

  private get baseUrl(): string {
    const base = this.options.publicUrl ?? this.origin;
    if (!base) throw new Error("download links need PUBLIC_URL or a listening server");
    return base;
  }

  /** Caller's role is enforced at the edge (@Auth); this checks the recording and audits the issue. */
  async issue(viewer: Viewer, requestId: string, recordingId: string): Promise<RecordingDownload> {
    const recording = await this.recordings.find(recordingId);
    if (!recording) throw notFound("Recording", recordingId);
    if (recording.state !== RecordingState.AVAILABLE) throw notAvailable(recording);
    const media = await this.media.find(recording.id);
    if (media?.status !== MediaStatus.STORED || media.sizeBytes === null) throw notAvailable(recording, "no stored audio");

    // Rounded up to whole seconds: a link never lives shorter than the configured TTL.
    const expiresAtSeconds = Math.ceil(Date.now() / 1000 + this.options.ttlSeconds);
    const grant: DownloadGrant = { recordingId: recording.id, userId: viewer.userId, generation: media.generation, expiresAtSeconds };
    const download: RecordingDownload = {
      recordingId: recording.id,
      url: `${this.baseUrl}${this.signer.pathFor(grant)}`,
      expiresAt: new Date(expiresAtSeconds * 1000),
      fileName: await this.fileNameOf(recording),
      contentType: MP3_CONTENT_TYPE,
      sizeBytes: media.sizeBytes,
    };
    await this.transactions.run((uow) =>
      this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.DOWNLOAD_URL_ISSUED,
        targetType: "RECORDING",
        targetId: recording.id,
        // Never the URL or its signature: the audit log is readable, and the link is a bearer credential.
        details: { expiresAt: download.expiresAt.toISOString(), generation: media.generation, sha256: media.sha256, fileName: download.fileName },
        requestId,
      }),
    );
    return download;
  }

  /**
   * Checks a link in the order that leaks least: signature (403), expiry (410), the user and their
   * current roles (403), then the recording (404/410) and its audio generation (410).
   */
  async open(recordingId: string, query: Record<string, unknown>): Promise<ServableDownload> {
    const checked = this.signer.check(recordingId, query);
    if (!checked.ok) throw invalidLink();
    const { grant } = checked;
    if (Date.now() >= grant.expiresAtSeconds * 1000) throw expiredLink("EXPIRED");

    const viewer = await this.users.loadViewer(grant.userId);
    if (!viewer?.roles.has(Role.COMPLIANCE_ADMINISTRATOR)) throw forbidden("the user this link was issued to may no longer download recordings");

    const recording = await this.recordings.find(grant.recordingId);
    if (!recording) throw notFound("Recording", grant.recordingId);
    if (recording.state !== RecordingState.AVAILABLE) throw notAvailable(recording);
    let opened;
    try {
      opened = await this.media.openAudio(recording.id);
    } catch (error) {
      if (error instanceof AudioUnavailableError) throw notAvailable(recording, "no stored audio");
      // Deleted between reading its row and opening its object: a delete committed meanwhile.
      if (error instanceof ObjectNotFoundError) throw notAvailable(recording, "its audio was deleted");
      throw error;
    }
    if (opened.media.generation !== grant.generation) throw expiredLink("SUPERSEDED");
    return { viewer, grant, recording, media: opened.media, reader: opened.reader, fileName: await this.fileNameOf(recording) };
  }

  /** Audited before the first byte is sent, so no audio ever leaves unaudited (an aborted transfer is still listed). */
  async recordServed(download: ServableDownload, requestId: string, served: ServedDetails): Promise<void> {
    await this.transactions.run((uow) =>
      this.audit.append(uow, {
        actor: download.viewer,
        action: AuditAction.DOWNLOAD_SERVED,
        targetType: "RECORDING",
        targetId: download.recording.id,
        details: {
          method: served.method,
          status: served.status,
          range: served.range ? { start: served.range.start, endInclusive: served.range.endInclusive } : null,
          bytes: served.bytes,
          sizeBytes: download.reader.plaintextBytes,
          generation: download.media.generation,
          sha256: download.media.sha256,
          linkExpiresAt: new Date(download.grant.expiresAtSeconds * 1000).toISOString(),
        },
        requestId,
      }),
    );
  }

  /** ASCII only, so the Content-Disposition needs no filename* encoding: recording-<customer>-<date>-<id>.mp3 */
  private async fileNameOf(recording: RecordingEntity): Promise<string> {
    const customer = await this.dataSource.getRepository(CustomerEntity).findOne({ where: { id: recording.customerId } });
    const slug = (customer?.name ?? "")
      .normalize("NFKD")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "");
    const date = recording.startedAt.toISOString().slice(0, 10);
    return `recording-${slug ? `${slug}-` : ""}${date}-${recording.id}.mp3`;
  }
}
