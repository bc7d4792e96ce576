// A reader of just enough WebM (EBML) to check a timelapse: its frames, duration and picture size.

/** What a WebM file says about its one video track. */
export interface WebmSummary {
  /** SimpleBlocks and Blocks: one per frame. */
  frames: number;
  /** Frames that are keyframes (SimpleBlock flag 0x80). */
  keyframes: number;
  /** Segment Info Duration × TimecodeScale, in seconds (NaN when absent). */
  durationSeconds: number;
  width: number;
  height: number;
  codecId: string;
  /** Block timecodes in seconds (cluster timecode + block offset), in file order. */
  times: number[];
}

const MASTER = new Set([
  0x18538067, // Segment
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  0xae, // TrackEntry
  0xe0, // Video
  0x1f43b675, // Cluster
  0xa0, // BlockGroup
]);

/** Reads a variable-length integer at `at`: its value (marker removed unless `keepMarker`) and length. */
function vint(b: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  const first = b[at];
  if (first === undefined || first === 0) throw new Error(`bad EBML variable-length integer at byte ${at}`);
  const length = Math.clz32(first) - 23;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + b[at + i];
    allOnes &&= b[at + i] === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function uint(b: Uint8Array): number {
  return b.reduce((v, x) => v * 256 + x, 0);
}

/** Walks the file's elements and collects the summary; throws on a malformed file. */
export function readWebm(file: Uint8Array): WebmSummary {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (uint(file.subarray(0, 4)) !== 0x1a45dfa3) throw new Error('not an EBML file: no 1A 45 DF A3 magic');
  const out: WebmSummary = { frames: 0, keyframes: 0, durationSeconds: NaN, width: 0, height: 0, codecId: '', times: [] };
  let scale = 1_000_000;
  let duration = NaN;
  let clusterTime = 0;
  const walk = (start: number, end: number) => {
    let at = start;
    while (at < end) {
      const id = vint(file, at, true);
      const size = vint(file, at + id.length, false);
      const body = at + id.length + size.length;
      const bodyEnd = size.unknown ? end : body + size.value;
      if (bodyEnd > file.length) throw new Error(`element ${id.value.toString(16)} at ${at} runs past the end of the file`);
      const data = file.subarray(body, bodyEnd);
      if (MASTER.has(id.value)) walk(body, bodyEnd);
      else if (id.value === 0x2ad7b1) scale = uint(data);
      else if (id.value === 0x4489) duration = data.length === 4 ? view.getFloat32(body) : view.getFloat64(body);
      else if (id.value === 0xb0) out.width = uint(data);
      else if (id.value === 0xba) out.height = uint(data);
      else if (id.value === 0x86) out.codecId = Buffer.from(data).toString('latin1');
      else if (id.value === 0xe7) clusterTime = uint(data);
      else if (id.value === 0xa3 || id.value === 0xa1) {
        const track = vint(file, body, false);
        const offset = view.getInt16(body + track.length);
        out.frames++;
        if (id.value === 0xa3 && file[body + track.length + 2] & 0x80) out.keyframes++;
        out.times.push(((clusterTime + offset) * scale) / 1e9);
      }
      at = bodyEnd;
    }
  };
  walk(0, file.length);
  out.durationSeconds = (duration * scale) / 1e9;
  return out;
}
