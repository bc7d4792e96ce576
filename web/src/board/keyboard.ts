// Keyboard shortcuts of the board (the list is in shortcuts.ts). Keys typed into a field or a choice are left alone.
import type { Toolbar, ToolName } from './toolbar.ts';
import { PALETTE } from './toolbar.ts';
import { ZOOM_STEP } from './view.ts';

const TOOL_KEYS: Record<string, ToolName> = { p: 'pen', i: 'highlighter', e: 'eraser', x: 'pixel', h: 'hand', a: 'select' };

export interface KeyboardHost {
  readonly toolbar: Toolbar;
  canEdit(): boolean;
  undo(): void;
  redo(): void;
  zoomBy(f: number): void;
  zoomReset(): void;
  exportView(): void;
  toggleHelp(show?: boolean): void;
  /** T: the timeline opens, or closes (back to live). */
  toggleTimeline(): void;
  /** `,` and `.`: the timeline's point moves one event back (-1) or forward (1). */
  stepTimeline(by: -1 | 1): void;
  /** Escape closes one thing: the area selection, else a dialog, else the timeline (back to live). */
  escape(): void;
  /** Space is held (a drag pans) or released. */
  space(held: boolean): void;
}

/** Listens on the window; returns what removes the listeners. */
export function bindKeyboard(host: KeyboardHost): () => void {
  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    if (e.code === 'Space') {
      host.space(e.type === 'keydown');
      if (e.type === 'keydown') e.preventDefault();
      return;
    }
    if (e.type === 'keydown' && handle(host, e)) e.preventDefault();
  };
  const onBlur = () => host.space(false);
  window.addEventListener('keydown', onKey);
  window.addEventListener('keyup', onKey);
  window.addEventListener('blur', onBlur);
  return () => {
    window.removeEventListener('keydown', onKey);
    window.removeEventListener('keyup', onKey);
    window.removeEventListener('blur', onBlur);
  };
}

/** Acts on one key press; false when the key is not a shortcut. */
function handle(host: KeyboardHost, e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'z') {
    if (e.shiftKey) host.redo();
    else host.undo();
    return true;
  }
  if (mod && key === 'y') {
    host.redo();
    return true;
  }
  if (mod || e.altKey) return false;
  const tool = TOOL_KEYS[key];
  if (tool) {
    host.toolbar.setTool(tool);
    return true;
  }
  switch (e.key) {
    case '+': case '=': host.zoomBy(ZOOM_STEP); return true;
    case '-': case '_': host.zoomBy(1 / ZOOM_STEP); return true;
    case '0': host.zoomReset(); return true;
    case '[': host.toolbar.stepWidth(-1); return true;
    case ']': host.toolbar.stepWidth(1); return true;
    case 'S': host.exportView(); return true;
    case '?': host.toggleHelp(); return true;
    case 't': host.toggleTimeline(); return true;
    case ',': host.stepTimeline(-1); return true;
    case '.': host.stepTimeline(1); return true;
    case 'Escape': host.escape(); return true;
  }
  if (/^[1-8]$/.test(e.key) && host.canEdit()) {
    host.toolbar.setColour(PALETTE[Number(e.key) - 1]);
    return true;
  }
  return false;
}
