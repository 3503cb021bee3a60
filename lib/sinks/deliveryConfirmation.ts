import type { SchedulerLike, Subscription } from 'rxjs';
import type { PendingWrite } from './pendingWrite';
import { ResendWindow } from './resendWindow';

/** Options of a {@link DeliveryConfirmation}. */
export interface DeliveryConfirmationOptions {
  /** See `DevoSenderOptions.resendWindowBytes`. */
  readonly resendWindowBytes: number;
  /** A connection younger than this confirms nothing (see `DevoSenderOptions.probationMs`). */
  readonly probationMs: number;
  /** See `DevoSenderOptions.confirmAfterMs`. */
  readonly confirmAfterMs: number;
  readonly scheduler: SchedulerLike;
  /** Asks the owner to half-close the connection: the relay's EOF will confirm everything held. */
  readonly requestConfirmingClose: () => void;
  /** Called after writes were delivered or a probation ended (the owner re-checks what waits on that). */
  readonly onChange: () => void;
  /** Called whenever the relay confirmed reading writes (by volume or by its EOF): what readiness follows. */
  readonly onDelivered: () => void;
}

/**
 * When the writes of the current connection count as delivered: the policy of a sender, apart
 * from its sockets. Written writes wait in a {@link ResendWindow}. Once the connection is past its
 * probation, a write with a resend window written after it is delivered; a write that waited
 * `confirmAfterMs` makes it ask for a confirming half-close; the relay's EOF (reported through
 * {@link closed}) delivers everything held, any other end hands it back for re-sending.
 */
export class DeliveryConfirmation {
  private readonly window: ResendWindow;
  private openedAt = 0;
  private probationTimer: Subscription | undefined;
  private confirmTimer: Subscription | undefined;
  private deliveredBytes = 0;
  /** A confirming close was asked for during the probation. */
  private confirmPending = false;

  constructor(private readonly options: DeliveryConfirmationOptions) {
    this.window = new ResendWindow(options.resendWindowBytes);
  }

  /** Bytes written and not yet delivered. */
  get bytes(): number {
    return this.window.bytes;
  }

  /** Bytes delivered since creation. */
  get delivered(): number {
    return this.deliveredBytes;
  }

  get isEmpty(): boolean {
    return this.window.length === 0;
  }

  /** A connection just opened: its probation starts. */
  opened(): void {
    this.openedAt = this.options.scheduler.now();
  }

  /** The socket took `write`. */
  written(write: PendingWrite): void {
    write.writtenAt = this.options.scheduler.now();
    write.written.resolve();
    this.window.add(write);
    if (this.onProbation()) this.afterProbation();
    else this.deliverByVolume();
    this.armConfirm();
  }

  /** Asks for a confirming half-close now, or when the probation ends. */
  confirmNow(): void {
    if (this.window.length === 0) return;
    if (this.onProbation()) {
      this.confirmPending = true;
      this.afterProbation();
    } else this.options.requestConfirmingClose();
  }

  /** The connection is closing on purpose: no more confirming closes are asked for it. */
  closing(): void {
    this.confirmTimer?.unsubscribe();
    this.confirmTimer = undefined;
    this.confirmPending = false;
  }

  /**
   * The connection closed. `confirmed` (the relay's EOF answered our half-close after the
   * probation): everything held is delivered and `[]` returned; otherwise the writes held are
   * returned, oldest first, to be written again.
   */
  closed(confirmed: boolean): PendingWrite[] {
    this.closing();
    this.probationTimer?.unsubscribe();
    this.probationTimer = undefined;
    if (!confirmed) return this.window.takeAll();
    this.deliveredBytes += this.window.bytes;
    if (this.window.length > 0) this.options.onDelivered();
    this.window.deliverAll();
    return [];
  }

  /** Everything held, emptied (to give up at shutdown). */
  takeAll(): PendingWrite[] {
    return this.closed(false);
  }

  private onProbation(): boolean {
    return this.options.scheduler.now() - this.openedAt < this.options.probationMs;
  }

  private afterProbation(): void {
    const { scheduler, probationMs } = this.options;
    this.probationTimer ??= scheduler.schedule(
      () => {
        this.probationTimer = undefined;
        this.deliverByVolume();
        this.armConfirm();
        if (this.confirmPending) {
          this.confirmPending = false;
          this.confirmNow();
        }
        this.options.onChange();
      },
      Math.max(0, this.openedAt + probationMs - scheduler.now()),
    );
  }

  private deliverByVolume(): void {
    const before = this.window.bytes;
    this.window.deliverByVolume();
    this.deliveredBytes += before - this.window.bytes;
    if (before === this.window.bytes) return;
    this.options.onDelivered();
    this.options.onChange();
  }

  private armConfirm(): void {
    const { scheduler, confirmAfterMs } = this.options;
    const oldest = this.window.oldestWrittenAt;
    if (this.confirmTimer !== undefined || oldest === undefined) return;
    this.confirmTimer = scheduler.schedule(
      () => {
        this.confirmTimer = undefined;
        const current = this.window.oldestWrittenAt;
        if (current === undefined) return;
        if (scheduler.now() - current >= confirmAfterMs) this.confirmNow();
        else this.armConfirm();
      },
      Math.max(0, oldest + confirmAfterMs - scheduler.now()),
    );
  }
}
