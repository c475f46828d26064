import { Icon } from '../Icon';

interface SeedFieldProps {
  seed: string;
  locked: boolean;
  onChange(patch: { seed?: string; seedLocked?: boolean }): void;
  onRandomise(): void;
}

export function SeedField({ seed, locked, onChange, onRandomise }: SeedFieldProps) {
  return (
    <div className="field">
      <label htmlFor="field-seed">Seed</label>
      <div className="seed-row">
        <input
          id="field-seed"
          inputMode="numeric"
          maxLength={20}
          value={seed}
          aria-describedby="seed-hint"
          // A typed seed is one the person wants: keep it.
          onChange={(event) => onChange({ seed: event.target.value.replace(/\D/g, ''), seedLocked: true })}
        />
        <button type="button" className="icon-button" title="New random seed" aria-label="New random seed" onClick={onRandomise}>
          <Icon name="dice" />
        </button>
        <button
          type="button"
          className={locked ? 'icon-button toggled' : 'icon-button'}
          aria-pressed={locked}
          aria-label="Keep this seed"
          title={locked ? 'Seed locked: every generation uses it' : 'Seed unlocked: each generation picks a new one'}
          onClick={() => onChange({ seedLocked: !locked })}
        >
          <Icon name={locked ? 'lock' : 'unlock'} size={18} />
        </button>
      </div>
      <p id="seed-hint" className="field-hint">
        {locked ? 'Locked: the same seed every time.' : 'Unlocked: a new random seed for each generation.'}
      </p>
    </div>
  );
}
