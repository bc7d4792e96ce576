// The tiles a stroke touches at every level, as shared-go/strokes (TilesTouched, TilesAllLevels) computes
// them, so that this relay writes the same tile_events rows per stroke as infidraw and the row-by-row
// baseline: PostgreSQL then does comparable work per stroke in all three.
const TILE_PX = 256;
const COORD_SCALE = 100; // encoded units (x100) per world unit
const MAX_LEVEL = 16;
const MAX_TILES_PER_STROKE = 4096;

const span = (level) => TILE_PX * COORD_SCALE * 2 ** level;

// pts: flat encoded coordinates [x0, y0, x1, y1, ...]; width in encoded units. Returns [level, x, y]
// triples, flat, or null when the stroke touches too many tiles (the services reject it too).
export function tilesAllLevels(width, pts) {
  const reach = Math.trunc((width * 3) / 4) + COORD_SCALE;
  const s = span(0);
  const seen = new Set();
  let level = [];
  // Consecutive pieces overlap: only the tiles of a box outside the previous box are looked up.
  let plo = null;
  let phi = null;
  const box = (x0, y0, x1, y1) => {
    const lox = Math.floor((Math.min(x0, x1) - reach) / s);
    const loy = Math.floor((Math.min(y0, y1) - reach) / s);
    const hix = Math.floor((Math.max(x0, x1) + reach) / s);
    const hiy = Math.floor((Math.max(y0, y1) + reach) / s);
    for (let ty = loy; ty <= hiy; ty++) {
      for (let tx = lox; tx <= hix; tx++) {
        if (plo && tx >= plo[0] && tx <= phi[0] && ty >= plo[1] && ty <= phi[1]) continue;
        const key = `${tx},${ty}`;
        if (!seen.has(key)) {
          if (seen.size === MAX_TILES_PER_STROKE) return false;
          seen.add(key);
          level.push(tx, ty);
        }
      }
    }
    plo = [lox, loy];
    phi = [hix, hiy];
    return true;
  };
  let px = pts[0];
  let py = pts[1];
  for (let i = 0; i < pts.length; i += 2) {
    const dx = pts[i] - px;
    const dy = pts[i + 1] - py;
    const pieces = Math.trunc(Math.max(Math.abs(dx), Math.abs(dy)) / s) + 1;
    if (pieces > MAX_TILES_PER_STROKE) return null;
    for (let k = 0; k < pieces; k++) {
      const x0 = px + Math.trunc((dx * k) / pieces);
      const y0 = py + Math.trunc((dy * k) / pieces);
      const x1 = px + Math.trunc((dx * (k + 1)) / pieces);
      const y1 = py + Math.trunc((dy * (k + 1)) / pieces);
      if (!box(x0, y0, x1, y1)) return null;
    }
    px = pts[i];
    py = pts[i + 1];
  }
  const out = [];
  for (let i = 0; i < level.length; i += 2) out.push(0, level[i], level[i + 1]);
  // A box meets a parent tile exactly when it meets one of its four children.
  for (let l = 1; l <= MAX_LEVEL; l++) {
    const parents = new Set();
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      const x = level[i] >> 1;
      const y = level[i + 1] >> 1;
      const key = `${x},${y}`;
      if (!parents.has(key)) {
        parents.add(key);
        next.push(x, y);
        out.push(l, x, y);
      }
    }
    level = next;
  }
  return out;
}
