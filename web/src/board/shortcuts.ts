// The keyboard shortcuts dialog (`?`).
import { h } from '../dom.ts';

const SHORTCUTS: [string, string][] = [
  ['P', 'Pen'], ['I', 'Highlighter'], ['E', 'Object eraser'], ['X', 'Pixel eraser'], ['H', 'Hand (pan)'],
  ['Space + drag, middle button, two fingers', 'Pan'], ['Wheel, pinch, + / −', 'Zoom around the pointer'], ['0', 'Zoom to 100 %'],
  ['[ / ]', 'Thinner / thicker'], ['1 … 8', 'Palette colours'], ['Ctrl/⌘ + Z', 'Undo your last action'],
  ['Shift + Ctrl/⌘ + Z, Ctrl + Y', 'Redo'], ['Shift + S', 'Export the view as PNG'],
  ['A', 'Select an area (drag; Esc cancels): export it as PNG, or in the history restore it to that point'], ['T', 'History: the board as it was (Esc: back to live)'],
  [', / .', 'One event back / forward in the history'], ['?', 'This list'],
];

export class ShortcutsDialog {
  readonly el = h('div#shortcuts.dialog', { hidden: true, role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
    h('h2', {}, 'Keyboard shortcuts'),
    h('table', {}, ...SHORTCUTS.map(([k, v]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, v)))),
    h('button', { onclick: () => this.toggle(false) }, 'Close'));

  get open(): boolean {
    return !this.el.hidden;
  }

  /** Shows or hides the dialog; without an argument, the other way round. */
  toggle(show?: boolean): void {
    this.el.hidden = show === undefined ? !this.el.hidden : !show;
  }
}
