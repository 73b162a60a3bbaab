/**
 * The WASM heap onnxruntime-web runs in, under our control: it grows by exactly what the allocator asks for, never
 * beyond a ceiling, and we can ask how much of it is free.
 *
 * Emscripten grows the heap through one imported function (`emscripten_resize_heap`) that over-allocates by 20%
 * and never gives memory back. We wrap it: growth goes to the requested size (so the heap's size is the allocator's
 * high-water mark, not 20% more), and a request past the ceiling is refused, which the allocator reports as a
 * failed allocation (`std::bad_alloc` from a run) instead of the isolate running out of memory. A refused growth is a
 * last resort: onnxruntime leaks some of a run that failed that way, so the session pool plans runs to fit first.
 *
 * Free space is measured by filling it: with growth switched off, `malloc` blocks of halving sizes until none fits,
 * then `free` them all. That is exact to the smallest block tried and costs a few dozen calls.
 */

/** The parts of onnxruntime-web's Emscripten module we use. */
export interface EmscriptenAllocator {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** Free space in the heap: what ends at its end (`top`) and what lies between allocations (`holes`). */
export interface FreeSpace {
  bytes: number;
  top: number;
  holes: number[];
}

/** Blocks the allocator holds while free space is being measured or kept out of a calibration run. */
export interface HeldSpace {
  /** Bytes held. */
  readonly bytes: number;
  release(): void;
}

const PAGE = 65536;
const LARGEST_PROBE = 1 << 30;
const SMALLEST_PROBE = 64 * 1024;
/** What separates two blocks carved from one free region: the allocator's chunk header, with alignment. */
const CHUNK_GAP = 64;
/** `emscripten_resize_heap` caps its over-allocation at 96 MiB: the one constant no other import contains. */
const RESIZE_SIGNATURE = "100663296";

export class WasmHeap {
  private requested = 0;
  private growable = true;
  private ceiling = Number.POSITIVE_INFINITY;
  private refused = 0;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private allocator?: EmscriptenAllocator,
  ) {}

  /**
   * Finds the heap's memory and resize function among the module's imports and wraps them in place. Returns
   * undefined if the imports hold no memory; without a recognisable resize function the heap is measured but its
   * growth is left as the glue does it (no ceiling, 20% over-allocation).
   */
  static attach(imports: WebAssembly.Imports): WasmHeap | undefined {
    let memory: WebAssembly.Memory | undefined;
    let resize: { module: Record<string, unknown>; name: string; fn: (bytes: number) => boolean } | undefined;
    for (const module of Object.values(imports) as Record<string, unknown>[]) {
      for (const [name, value] of Object.entries(module)) {
        if (value instanceof WebAssembly.Memory) memory = value;
        else if (typeof value === "function" && value.toString().includes(RESIZE_SIGNATURE))
          resize = { module, name, fn: value as (bytes: number) => boolean };
      }
    }
    if (!memory) return undefined;
    const heap = new WasmHeap(memory);
    if (!resize) return heap;
    resize.module[resize.name] = (bytes: number) => heap.resize(bytes, resize.fn);
    const grow = memory.grow.bind(memory);
    // the resize function grows by its over-allocated page count; grow to what was asked for instead
    Object.defineProperty(memory, "grow", {
      value: (pages: number) => {
        const needed = Math.ceil(heap.requested / PAGE) - memory.buffer.byteLength / PAGE;
        return grow(needed > 0 ? needed : pages);
      },
    });
    return heap;
  }

  /** Once the module is instantiated, its `malloc` and `free` let us measure free space. */
  setAllocator(allocator: EmscriptenAllocator): void {
    this.allocator = allocator;
  }

  /** Bytes of the heap: the allocator's high-water mark, rounded up to a 64 KiB page. */
  bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** The heap never grows past `bytes`; allocations that would need more fail instead. */
  setCeiling(bytes: number): void {
    this.ceiling = bytes;
  }

  ceilingBytes(): number {
    return this.ceiling;
  }

  /** Growths refused at the ceiling since the heap was attached. */
  refusals(): number {
    return this.refused;
  }

  /** Bytes the allocator could hand out without growing the heap (0 before the module is instantiated). */
  freeBytes(): number {
    return this.freeSpace().bytes;
  }

  /**
   * The heap's free space as the allocator can use it: `holes` between allocations, and `top`, the free space that
   * ends at the heap's end and so continues into whatever the heap may still grow.
   */
  freeSpace(): FreeSpace {
    const held = this.holdFree();
    const blocks = [...held.blocks].sort((a, b) => a.pointer - b.pointer);
    held.release();
    // blocks carved from one free region lie back to back (a chunk header apart)
    const regions: { start: number; end: number }[] = [];
    for (const { pointer, size } of blocks) {
      const last = regions.at(-1);
      if (last && pointer - last.end <= CHUNK_GAP) last.end = pointer + size;
      else regions.push({ start: pointer, end: pointer + size });
    }
    const end = this.bytes();
    const last = regions.at(-1);
    const top = last && end - last.end <= SMALLEST_PROBE + CHUNK_GAP ? regions.pop()! : undefined;
    return {
      bytes: held.bytes,
      top: top ? end - top.start : 0,
      holes: regions.map((r) => r.end - r.start),
    };
  }

  /**
   * Takes every free block of at least 64 KiB, so that what a run allocates next must grow the heap and shows in
   * its size. The caller releases them.
   */
  holdFree(): HeldSpace & { blocks: readonly { pointer: number; size: number }[] } {
    const allocator = this.allocator;
    if (!allocator) return { bytes: 0, blocks: [], release: () => undefined };
    const blocks: { pointer: number; size: number }[] = [];
    let bytes = 0;
    this.growable = false;
    try {
      for (let size = LARGEST_PROBE; size >= SMALLEST_PROBE; size /= 2) {
        for (;;) {
          const pointer = allocator._malloc(size);
          if (pointer === 0) break;
          blocks.push({ pointer, size });
          bytes += size;
        }
      }
    } finally {
      this.growable = true;
    }
    return {
      bytes,
      blocks,
      release: () => {
        for (const { pointer } of blocks.splice(0)) allocator._free(pointer);
      },
    };
  }

  private resize(bytes: number, original: (bytes: number) => boolean): boolean {
    const requested = bytes >>> 0;
    if (!this.growable) return false;
    if (requested > this.ceiling) {
      this.refused += 1;
      return false;
    }
    this.requested = requested;
    return original(bytes);
  }
}
