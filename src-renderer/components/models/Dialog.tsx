import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { FOCUSABLE, keepFocusInside } from '../focus-trap';

function canTakeFocus(element: HTMLElement | null | undefined): element is HTMLElement {
  return !!element && element.isConnected && !element.matches(':disabled');
}

/** Focuses an element that is not focusable by nature (a heading) without adding it to the Tab order. */
function focusHeading(heading: HTMLElement): void {
  if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
  heading.focus();
}

/**
 * Where focus goes once the dialog closes: its opener, unless confirming disabled or removed it; then the
 * first enabled control of the same model card, that card's heading, or the page's heading, so focus
 * never falls to <body>.
 */
function restoreFocus(opener: HTMLElement | null, card: HTMLElement | null): void {
  if (canTakeFocus(opener)) return opener.focus();
  if (card?.isConnected) {
    const control = card.querySelector<HTMLElement>(FOCUSABLE);
    if (control) return control.focus();
    const heading = card.querySelector<HTMLElement>('h2');
    if (heading) return focusHeading(heading);
  }
  const pageHeading = document.querySelector<HTMLElement>('main h1');
  if (pageHeading) focusHeading(pageHeading);
}

interface DialogProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** The buttons along the bottom. */
  actions: ReactNode;
}

/**
 * A modal question. The native modal <dialog> makes the rest of the page inert and closes on Esc; Tab
 * cycles inside it; focus goes back to whatever opened it (or near it). It lives under <body>, not inside the card
 * that opened it, so it is not read as part of that card.
 */
export function Dialog({ title, onClose, children, actions }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const card = opener?.closest<HTMLElement>('.model-card') ?? null;
    dialog.showModal();
    // Start on the first choice that is not a link away, so Enter never leaves the page.
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      dialog.close();
      restoreFocus(opener, card);
    };
  }, []);

  return createPortal(
    <dialog
      ref={ref}
      className="models-dialog"
      aria-labelledby={titleId}
      onKeyDown={keepFocusInside}
      onCancel={(event) => {
        // Esc: let React unmount it rather than the browser closing it behind React's back.
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div className="models-dialog-body">{children}</div>
      <div className="models-dialog-actions">{actions}</div>
    </dialog>,
    document.body,
  );
}
