/** The canvas's keyboard shortcuts, as the screen lists them; CanvasStage and CanvasScreen act on them. */

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const command = isMac ? '⌘' : 'Ctrl+';

export const EDIT_SHORTCUT = isMac ? '⌘ Enter' : 'Ctrl+Enter';

export const canvasShortcuts: Array<{ keys: string; action: string }> = [
  { keys: 'B', action: 'Brush' },
  { keys: 'E', action: 'Eraser' },
  { keys: 'H, or hold Space', action: 'Move the view' },
  { keys: '[  ]', action: 'Smaller, larger brush' },
  { keys: `${command}Z`, action: 'Undo' },
  { keys: `${command}Shift+Z, ${command}Y`, action: 'Redo' },
  { keys: 'I', action: 'Invert the mask' },
  { keys: 'Delete', action: 'Clear the mask' },
  { keys: '+  −  0', action: 'Zoom in, out, fit' },
  { keys: 'Wheel, pinch', action: 'Zoom' },
  { keys: EDIT_SHORTCUT, action: 'Repaint' },
];

/** A key pressed while typing in a field belongs to the field, not to the canvas. */
export function shortcutTarget(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return true;
  return target.closest('input, textarea, select, [contenteditable="true"]') === null;
}
