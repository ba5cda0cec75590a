/**
 * Cuts what a connection receives into response frames, with the socket reading straight into
 * them: once a frame's size is known, the rest of a large frame (a fetch answer of megabytes) is
 * read into the frame's own buffer, never copied or joined from chunks. Small frames, and the
 * start and end of large ones, go through one scratch buffer used for every read.
 */
export class FrameAssembler {
  private readonly scratch: Buffer;
  /** The frame being filled (its size prefix left out), and how much of it is. */
  private frame: Buffer | null = null;
  private filled = 0;
  /** A size prefix split across reads. */
  private readonly head = Buffer.alloc(4);
  private headBytes = 0;
  /** The last buffer handed out is (a view of) the frame itself. */
  private direct = false;

  constructor(scratchBytes = 64 * 1024) {
    this.scratch = Buffer.allocUnsafe(scratchBytes);
  }

  /** Where the next read goes: the frame being filled when at least a scratch buffer of it is missing. */
  nextBuffer(): Buffer {
    this.direct = this.frame !== null && this.frame.length - this.filled >= this.scratch.length;
    return this.direct ? this.frame!.subarray(this.filled) : this.scratch;
  }

  /** `n` bytes were read into the last buffer handed out; returns the frames they complete. */
  received(n: number): Buffer[] {
    if (this.direct) {
      this.filled += n;
      return this.filled === this.frame!.length ? [this.complete()] : [];
    }
    const frames: Buffer[] = [];
    let at = 0;
    while (at < n) {
      if (this.frame) {
        const take = Math.min(n - at, this.frame.length - this.filled);
        this.scratch.copy(this.frame, this.filled, at, at + take);
        this.filled += take;
        at += take;
        if (this.filled === this.frame.length) frames.push(this.complete());
        continue;
      }
      const take = Math.min(4 - this.headBytes, n - at);
      this.scratch.copy(this.head, this.headBytes, at, at + take);
      this.headBytes += take;
      at += take;
      if (this.headBytes < 4) break;
      this.headBytes = 0;
      const size = this.head.readInt32BE(0);
      if (size < 0) throw new RangeError(`a frame of ${size} bytes`);
      this.frame = Buffer.allocUnsafe(size);
      this.filled = 0;
      if (size === 0) frames.push(this.complete());
    }
    return frames;
  }

  private complete(): Buffer {
    const frame = this.frame!;
    this.frame = null;
    return frame;
  }
}
