import type { ReactNode } from 'react';
import { Dialog } from './Dialog';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  keepLabel: string;
  onConfirm(): void;
  onClose(): void;
}

/** "Are you sure?" for what cannot be undone; the safe choice has the focus. */
export function ConfirmDialog({ title, children, confirmLabel, keepLabel, onConfirm, onClose }: ConfirmDialogProps) {
  return (
    <Dialog
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" onClick={onClose} data-autofocus>
            {keepLabel}
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              onClose();
              onConfirm();
            }}
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
