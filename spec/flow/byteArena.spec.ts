import { expect } from 'chai';
import { ByteArena } from '../../lib/flow/byteArena';
import { SeededRandom } from '../../lib/simulators/seededRandom';

describe('ByteArena', () => {
  it('returns copies that do not share memory with the original', () => {
    const arena = new ByteArena({ slabBytes: 64 });
    const original = Buffer.from('{"guid":"a"}');
    const copy = arena.copy(original);
    original.fill(0x20);
    expect(copy.toString()).to.equal('{"guid":"a"}');
  });

  it('reuses a slab once every copy in it is released, and not before', () => {
    const arena = new ByteArena({ slabBytes: 64 });
    const a = arena.copy(Buffer.alloc(16, 'a'));
    const b = arena.copy(Buffer.alloc(16, 'b'));
    arena.copy(Buffer.alloc(16, 'c')); // never released: its slab stays out of reuse
    const d = arena.copy(Buffer.alloc(16, 'd'));
    const e = arena.copy(Buffer.alloc(16, 'e')); // second slab
    expect(arena.allocated).to.equal(2);
    arena.release(a);
    arena.release(b);
    arena.release(d);
    expect(arena.spareSlabs).to.equal(0);
    const f = arena.copy(Buffer.alloc(16, 'f'));
    expect(e.toString()).to.equal('e'.repeat(16));
    arena.release(e);
    arena.release(f);
    // The second slab is current and empty: the next copies start over in it.
    const g = arena.copy(Buffer.alloc(16, 'g'));
    expect(arena.allocated).to.equal(2);
    expect(g.buffer).to.equal(e.buffer);
    expect(g.byteOffset).to.equal(e.byteOffset);
  });

  it('puts an emptied slab back for reuse when it is no longer the one being filled', () => {
    const arena = new ByteArena({ slabBytes: 64 });
    const first = [0, 1, 2, 3].map(() => arena.copy(Buffer.alloc(16, 'x')));
    const next = arena.copy(Buffer.alloc(16, 'y'));
    for (const copy of first) arena.release(copy);
    expect(arena.spareSlabs).to.equal(1);
    [0, 1, 2].forEach(() => arena.copy(Buffer.alloc(16, 'z')));
    const reused = arena.copy(Buffer.alloc(16, 'w'));
    expect(arena.allocated).to.equal(2);
    expect(reused.buffer).to.equal(first[0]!.buffer);
    expect(next.toString()).to.equal('y'.repeat(16));
  });

  it('gives large copies their own buffer and ignores buffers it did not make', () => {
    const arena = new ByteArena({ slabBytes: 64 });
    const big = arena.copy(Buffer.alloc(17, 'b'));
    expect(big.buffer.byteLength).to.be.at.least(17);
    expect(arena.allocated).to.equal(0);
    const small = arena.copy(Buffer.alloc(8, 's'));
    arena.release(Buffer.from('foreign'));
    arena.release(big);
    expect(small.toString()).to.equal('s'.repeat(8));
  });

  it('keeps at most maxSpareSlabs emptied slabs', () => {
    const arena = new ByteArena({ slabBytes: 64, maxSpareSlabs: 1 });
    const copies = Array.from({ length: 16 }, () => arena.copy(Buffer.alloc(16, 'x')));
    arena.copy(Buffer.alloc(16, 'y'));
    for (const copy of copies) arena.release(copy);
    expect(arena.allocated).to.equal(5);
    expect(arena.spareSlabs).to.equal(1);
  });

  it('never alters a live copy, whatever the order of copies and releases', () => {
    const random = new SeededRandom('byteArena');
    const arena = new ByteArena({ slabBytes: 256, maxSpareSlabs: 2 });
    const live: Array<{ copy: Buffer; text: string }> = [];
    let copied = 0;
    for (let step = 0; step < 20_000; step++) {
      if (live.length > 0 && random.int(100) < 48) {
        const [gone] = live.splice(random.int(live.length), 1);
        expect(gone!.copy.toString()).to.equal(gone!.text);
        arena.release(gone!.copy);
      } else {
        const text = `${step}:`.padEnd(1 + random.int(80), String.fromCharCode(97 + (step % 26)));
        live.push({ copy: arena.copy(Buffer.from(text)), text });
        copied += text.length;
      }
    }
    for (const { copy, text } of live) expect(copy.toString()).to.equal(text);
    // Memory was reused: far fewer slabs than the bytes copied would fill.
    expect(arena.allocated).to.be.below(copied / 256 / 2);
  });

  it('rejects nonsensical options', () => {
    expect(() => new ByteArena({ slabBytes: 0 })).to.throw(RangeError, /slabBytes/);
    expect(() => new ByteArena({ maxSpareSlabs: -1 })).to.throw(RangeError, /maxSpareSlabs/);
  });
});
