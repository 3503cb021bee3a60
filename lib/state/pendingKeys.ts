import type { DedupEntry } from '../operators/dedupWindow';

/**
 * Delivered keys waiting for the next commit, in delivery order. A commit takes them all; what it
 * could not persist goes back in front of what was delivered meanwhile.
 */
export class PendingKeys {
  private entries: DedupEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  add(entry: DedupEntry): void {
    this.entries.push(entry);
  }

  /** Every key waiting, emptied. */
  take(): readonly DedupEntry[] {
    const taken = this.entries;
    this.entries = [];
    return taken;
  }

  /** Keys a commit could not persist: they wait again, before the newer ones. */
  putBack(entries: readonly DedupEntry[]): void {
    if (entries.length > 0) this.entries = entries.concat(this.entries);
  }
}
