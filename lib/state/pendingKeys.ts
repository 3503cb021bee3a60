import type { DedupEntry } from '../operators/dedupWindow';

/**
 * Delivered keys waiting for the next commit, in delivery order. A commit takes them all (what it
 * cannot write stays in the de-dup window, from which the store rebuilds its journal).
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
}
