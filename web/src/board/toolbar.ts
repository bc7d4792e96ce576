// The toolbar at the bottom: tools, colours, widths, undo/redo and zoom. It holds the chosen tool, colour and width;
// viewers see only the hand and the area export.
import { h } from '../dom.ts';
import { ZOOM_STEP } from './view.ts';

export type ToolName = 'hand' | 'pen' | 'highlighter' | 'eraser' | 'pixel' | 'select';
export const PALETTE = ['#1e1e1e', '#e03131', '#f08c00', '#2f9e44', '#1971c2', '#7048e8', '#c2255c', '#ffffff'];
/** Widths in screen pixels. */
export const WIDTHS = [2, 4, 8, 16, 32];
/** The tools a viewer has. */
const VIEWER_TOOLS: ReadonlySet<ToolName> = new Set(['hand', 'select']);

const TOOLS: [ToolName, string, string][] = [
  ['hand', '✥', 'Hand (H)'], ['pen', '✎', 'Pen (P)'], ['highlighter', '▮', 'Highlighter (I)'], ['eraser', '⌫', 'Object eraser (E)'],
  ['pixel', '◌', 'Pixel eraser (X)'], ['select', '⬚', 'Select an area: export it, or restore it in the history (A)'],
];

export interface ToolbarHost {
  canEdit(): boolean;
  undo(): void;
  redo(): void;
  zoomBy(f: number): void;
  zoomReset(): void;
  toolChanged(tool: ToolName): void;
}

export class Toolbar {
  tool: ToolName;
  /** The editing tool put aside while drawing is not allowed. */
  private editTool: ToolName | null = null;
  colour = PALETTE[0];
  widthPx = WIDTHS[1];
  readonly el: HTMLElement;
  private readonly zoomLabel: HTMLButtonElement;
  private readonly toolButtons = new Map<ToolName, HTMLButtonElement>();
  private readonly swatches: HTMLButtonElement[] = [];
  private readonly custom: HTMLInputElement;
  private readonly widthButtons: HTMLButtonElement[] = [];
  private readonly editTools: HTMLElement;
  private readonly host: ToolbarHost;

  constructor(host: ToolbarHost) {
    this.host = host;
    const tools = h('div.tools', { role: 'toolbar', 'aria-label': 'Tools' });
    for (const [name, icon, label] of TOOLS) {
      const b = h('button.tool', { 'data-tool': name, title: label, 'aria-label': label, onclick: () => this.setTool(name) }, icon);
      this.toolButtons.set(name, b);
      tools.append(b);
    }
    const swatches = h('div.swatches', { role: 'radiogroup', 'aria-label': 'Colour' });
    PALETTE.forEach((c, i) => {
      const b = h('button.swatch', { 'data-colour': c, title: `${c} (${i + 1})`, 'aria-label': `colour ${c}`, onclick: () => this.setColour(c) });
      b.style.background = c;
      this.swatches.push(b);
      swatches.append(b);
    });
    this.custom = h('input.custom', { type: 'color', value: this.colour, title: 'Custom colour', 'aria-label': 'Custom colour' });
    this.custom.addEventListener('input', () => this.setColour(this.custom.value));
    swatches.append(this.custom);
    const widths = h('div.widths', { role: 'radiogroup', 'aria-label': 'Width' });
    for (const w of WIDTHS) {
      const dot = h('span.wdot');
      dot.style.width = dot.style.height = `${Math.min(20, w + 2)}px`;
      const b = h('button.width', { 'data-width': w, title: `${w} px`, onclick: () => this.setWidth(w) }, dot);
      this.widthButtons.push(b);
      widths.append(b);
    }
    const history = h('div.history', {},
      h('button#undo', { title: 'Undo (Ctrl+Z)', onclick: () => host.undo() }, '↶'),
      h('button#redo', { title: 'Redo (Shift+Ctrl+Z)', onclick: () => host.redo() }, '↷'));
    this.editTools = h('div.edit-tools', {}, swatches, widths, history);
    this.zoomLabel = h('button.zoom-label', { title: 'Zoom to 100 % (0)', onclick: () => host.zoomReset() }, '100 %');
    const zoom = h('div.zoom', {},
      h('button', { title: 'Zoom out (−)', onclick: () => host.zoomBy(1 / ZOOM_STEP) }, '−'), this.zoomLabel,
      h('button', { title: 'Zoom in (+)', onclick: () => host.zoomBy(ZOOM_STEP) }, '+'));
    this.el = h('div.toolbar', {}, tools, this.editTools, zoom);
    this.tool = host.canEdit() ? 'pen' : 'hand';
  }

  /** Applies the starting tool, colour and width (the host is ready for toolChanged). */
  start(): void {
    this.setTool(this.tool);
    this.setColour(this.colour);
    this.setWidth(this.widthPx);
  }

  /** A viewer may only pick the tools it has. */
  setTool(t: ToolName): void {
    if (!this.host.canEdit() && !VIEWER_TOOLS.has(t)) return;
    this.tool = t;
    for (const [n, b] of this.toolButtons) b.classList.toggle('active', n === t);
    this.host.toolChanged(t);
  }

  setColour(c: string): void {
    this.colour = c;
    this.custom.value = c;
    for (const b of this.swatches) b.classList.toggle('active', b.dataset.colour === c);
  }

  setWidth(w: number): void {
    this.widthPx = w;
    for (const b of this.widthButtons) b.classList.toggle('active', Number(b.dataset.width) === w);
  }

  /** The next width down (-1) or up (1). */
  stepWidth(dir: -1 | 1): void {
    const i = WIDTHS.indexOf(this.widthPx) + dir;
    this.setWidth(WIDTHS[Math.min(WIDTHS.length - 1, Math.max(0, i))]);
  }

  /**
   * Editing tools show while one may draw (an editor, on the board now); otherwise the tool falls back to the hand
   * unless it is selecting an area, and the editing tool comes back, from the hand, when drawing is allowed again.
   */
  applyRole(canEdit: boolean): void {
    this.editTools.hidden = !canEdit;
    for (const [n, b] of this.toolButtons) b.hidden = !canEdit && !VIEWER_TOOLS.has(n);
    if (!canEdit && !VIEWER_TOOLS.has(this.tool)) {
      this.editTool = this.tool;
      this.setTool('hand');
    } else if (canEdit && this.editTool) {
      if (this.tool === 'hand') this.setTool(this.editTool);
      this.editTool = null;
    }
  }

  /** The zoom label, changed only when it differs (no layout per frame for nothing). */
  showZoom(label: string): void {
    if (this.zoomLabel.textContent !== label) this.zoomLabel.textContent = label;
  }
}
