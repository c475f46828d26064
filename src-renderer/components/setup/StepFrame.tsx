import { useEffect, useRef, type ReactNode } from 'react';

export interface StepAction {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  /** Shown as the step's primary button (the default for Next); one primary a step. */
  primary?: boolean;
}

/**
 * One wizard step: its heading (focused when the step opens, so keyboard and screen reader users start
 * at the top), its content, and Back / Next at the bottom.
 */
export function StepFrame({
  title,
  intro,
  children,
  back,
  next,
  secondary,
}: {
  title: string;
  intro?: ReactNode;
  children?: ReactNode;
  back?: StepAction;
  next?: StepAction;
  secondary?: StepAction;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [title]);
  return (
    <section className="setup-card" aria-labelledby="setup-title">
      <h1 id="setup-title" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {intro && <p className="setup-intro">{intro}</p>}
      <div className="setup-content">{children}</div>
      <footer className="setup-actions">
        {back && (
          <button type="button" onClick={back.onClick} disabled={back.disabled}>
            {back.label}
          </button>
        )}
        <span className="setup-spacer" />
        {secondary && (
          <button type="button" onClick={secondary.onClick} disabled={secondary.disabled}>
            {secondary.label}
          </button>
        )}
        {next && (
          <button type="button" className={next.primary === false ? undefined : 'primary'} onClick={next.onClick} disabled={next.disabled}>
            {next.label}
          </button>
        )}
      </footer>
    </section>
  );
}

/** A small inline status mark: a tick, a cross or a spinner, with words for screen readers. */
const marks = {
  ok: { path: 'M5 12.5l4.5 4.5L19 7.5', label: 'Works' },
  fail: { path: 'M6.5 6.5l11 11M17.5 6.5l-11 11', label: 'Does not work' },
  none: { path: 'M6 12h12', label: 'Not used' },
};

export function StatusMark({ kind }: { kind: keyof typeof marks | 'busy' }) {
  if (kind === 'busy') return <span className="setup-spinner" role="img" aria-label="Working" />;
  return (
    <svg className={`setup-mark ${kind}`} width="18" height="18" viewBox="0 0 24 24" role="img" aria-label={marks[kind].label}>
      <path
        d={marks[kind].path}
        fill="none"
        stroke="currentColor"
        strokeWidth={2.4}
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function ErrorNote({ message, action }: { message: string; action?: StepAction }) {
  return (
    <div className="setup-error" role="alert">
      <span>{message}</span>
      {action && (
        <button type="button" onClick={action.onClick} disabled={action.disabled}>
          {action.label}
        </button>
      )}
    </div>
  );
}
