/** Options of a {@link ByteArena}. */
export interface ByteArenaOptions {
  /** Size of one slab. Default 256 KiB. Copies larger than a quarter of it get their own buffer. */
  readonly slabBytes?: number;
  /** Emptied slabs kept for reuse; more are left to the garbage collector. Default 128 (32 MiB). */
  readonly maxSpareSlabs?: number;
}

interface Slab {
  readonly buffer: Buffer;
  used: number;
  /** Copies handed out and not released yet. */
  live: number;
}

/**
 * Short-lived copies of byte strings, packed in slabs that are reused once every copy in them is
 * released. A pipeline that holds events for a while (a sort window, a batch) would otherwise
 * keep each socket read alive through the views of it, and promote those reads to V8's old
 * generation, where their memory waits for a full collection; here the reads die young and the
 * memory held is the slabs in use.
 *
 * Each copy must be released exactly once, when its bytes are no longer read: after that its
 * bytes may be overwritten by a later copy. A copy that is never released only keeps its slab
 * out of reuse (the slab is then collected with the last copy in it).
 *
 * @example
 * const arena = new ByteArena();
 * const kept = arena.copy(frame); // frame's memory can go
 * batch.set(kept, offset);
 * arena.release(kept);
 */
export class ByteArena {
  private readonly slabBytes: number;
  private readonly maxSpareSlabs: number;
  private readonly bigCopyBytes: number;
  /** The slab of each ArrayBuffer handed out; weak, so that an unreleased slab can be collected. */
  private readonly slabs = new WeakMap<ArrayBufferLike, Slab>();
  private readonly spare: Slab[] = [];
  private current: Slab | undefined;
  private slabsAllocated = 0;

  constructor(options: ByteArenaOptions = {}) {
    this.slabBytes = options.slabBytes ?? 256 * 1024;
    this.maxSpareSlabs = options.maxSpareSlabs ?? 128;
    if (!(this.slabBytes >= 16)) throw new RangeError(`ByteArena: slabBytes must be >= 16, got ${this.slabBytes}`);
    if (!(this.maxSpareSlabs >= 0)) throw new RangeError(`ByteArena: maxSpareSlabs must be >= 0, got ${this.maxSpareSlabs}`);
    this.bigCopyBytes = this.slabBytes >>> 2;
  }

  /** Slabs allocated so far (the rest of the copies reused memory). */
  get allocated(): number {
    return this.slabsAllocated;
  }

  /** Emptied slabs waiting for reuse. */
  get spareSlabs(): number {
    return this.spare.length;
  }

  /** A copy of `bytes`, to {@link release} once it is no longer read. */
  copy(bytes: Uint8Array): Buffer {
    const length = bytes.length;
    if (length > this.bigCopyBytes) return Buffer.from(bytes);
    let slab = this.current;
    if (slab !== undefined && slab.live === 0) slab.used = 0;
    if (slab === undefined || slab.used + length > this.slabBytes) slab = this.current = this.takeSlab();
    const start = slab.used;
    slab.buffer.set(bytes, start);
    slab.used = start + length;
    slab.live++;
    return slab.buffer.subarray(start, start + length);
  }

  /** Gives back a copy made by {@link copy}; anything else is ignored. */
  release(copy: Uint8Array): void {
    const slab = this.slabs.get(copy.buffer);
    if (slab === undefined || slab.live === 0) return;
    slab.live--;
    if (slab.live === 0 && slab !== this.current) this.recycle(slab);
  }

  private takeSlab(): Slab {
    const reused = this.spare.pop();
    if (reused !== undefined) return reused;
    this.slabsAllocated++;
    const slab: Slab = { buffer: Buffer.allocUnsafeSlow(this.slabBytes), used: 0, live: 0 };
    this.slabs.set(slab.buffer.buffer, slab);
    return slab;
  }

  private recycle(slab: Slab): void {
    slab.used = 0;
    if (this.spare.length < this.maxSpareSlabs) this.spare.push(slab);
    else this.slabs.delete(slab.buffer.buffer);
  }
}
