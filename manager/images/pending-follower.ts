// The follower of a layer download that starts before the image config is in (a pull fetches
// the config and the layers at the same time). It holds the download's verdict, and with it the
// blob's commit, until the config is known:
// - `choose(follower)`: the config is good; the follower (the layer's unpack, or null) then reads
//   the partial file from its start up to what is written by then, and follows from there;
// - `refuse(err)`: the config failed; the blob is not stored (a failed pull leaves the store as
//   it was, apart from partial downloads kept for a resume).
import type { DownloadFollower } from './registry/blob-download';

export class PendingFollower implements DownloadFollower {
  private file: string | null = null;
  private written = 0;
  private failedEarly = false;
  /** undefined: not decided yet; null: nobody follows this download */
  private target: DownloadFollower | null | undefined;
  private refusal: { err: unknown } | null = null;
  private decided!: () => void;
  private readonly decision = new Promise<void>((resolve) => (this.decided = resolve));

  choose(target: DownloadFollower | null): void {
    if (this.target !== undefined || this.refusal) return;
    this.target = this.failedEarly ? null : target;
    if (this.target && this.file !== null) this.target.opened(this.file, this.written);
    this.decided();
  }

  refuse(err: unknown): void {
    if (this.target !== undefined || this.refusal) return;
    this.refusal = { err };
    this.decided();
  }

  opened(file: string, offset: number): void {
    this.file = file;
    this.written = offset;
    this.target?.opened(file, offset);
  }

  progress(offset: number): void {
    this.written = offset;
    this.target?.progress(offset);
  }

  restarted(): void {
    this.written = 0;
    this.target?.restarted();
  }

  async verified(size: number): Promise<void> {
    await this.decision;
    if (this.refusal) throw this.refusal.err;
    await this.target?.verified(size);
  }

  failed(err: unknown): void {
    if (this.target === undefined) this.failedEarly = true;
    this.target?.failed(err);
  }
}
