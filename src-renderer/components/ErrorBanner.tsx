import { useAppStore } from '../stores/app-store';

/** The last failure (a setting that could not be saved, a list that could not be read), until dismissed. */
export function ErrorBanner() {
  const error = useAppStore((state) => state.error);
  const dismissError = useAppStore((state) => state.dismissError);
  if (!error) return null;
  return (
    <div className="banner error" role="alert">
      <span>{error.message}</span>
      <button type="button" className="link" onClick={dismissError}>
        Dismiss
      </button>
    </div>
  );
}
