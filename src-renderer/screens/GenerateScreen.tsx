import { useState } from 'react';
import { schedulerNames, type SchedulerName } from '../../src-preload/api';
import { Icon } from '../components/Icon';
import { useAppStore } from '../stores/app-store';

const sizePresets = [
  { label: '512×512 square', width: 512, height: 512 },
  { label: '512×768 portrait', width: 512, height: 768 },
  { label: '768×512 landscape', width: 768, height: 512 },
  { label: '1024×1024 square', width: 1024, height: 1024 },
];

function randomSeed(): string {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return ((BigInt(words[0] ?? 0) << 21n) ^ BigInt(words[1] ?? 0)).toString();
}

export function GenerateScreen() {
  const setScreen = useAppStore((state) => state.setScreen);
  const [prompt, setPrompt] = useState('');
  const [negativePrompt, setNegativePrompt] = useState('');
  const [steps, setSteps] = useState(20);
  const [guidance, setGuidance] = useState(7);
  const [size, setSize] = useState(0);
  const [scheduler, setScheduler] = useState<SchedulerName>('euler-a');
  const [seed, setSeed] = useState(randomSeed);

  return (
    <div className="generate">
      <form className="panel controls" onSubmit={(event) => event.preventDefault()} aria-label="Generation settings">
        <label className="field">
          <span>Prompt</span>
          <textarea
            rows={5}
            value={prompt}
            placeholder="a watercolor lighthouse on a cliff at dawn"
            onChange={(event) => setPrompt(event.target.value)}
          />
        </label>
        <label className="field">
          <span>Negative prompt</span>
          <textarea
            rows={2}
            value={negativePrompt}
            placeholder="blurry, low quality"
            onChange={(event) => setNegativePrompt(event.target.value)}
          />
        </label>
        <div className="field">
          <span>
            Steps <output>{steps}</output>
          </span>
          <input type="range" min={1} max={60} value={steps} onChange={(event) => setSteps(Number(event.target.value))} />
        </div>
        <div className="field">
          <span>
            Guidance <output>{guidance.toFixed(1)}</output>
          </span>
          <input
            type="range"
            min={0}
            max={15}
            step={0.5}
            value={guidance}
            onChange={(event) => setGuidance(Number(event.target.value))}
          />
        </div>
        <div className="row">
          <label className="field">
            <span>Size</span>
            <select value={size} onChange={(event) => setSize(Number(event.target.value))}>
              {sizePresets.map((preset, index) => (
                <option key={preset.label} value={index}>
                  {preset.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Scheduler</span>
            <select value={scheduler} onChange={(event) => setScheduler(event.target.value as SchedulerName)}>
              {schedulerNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="field">
          <span>Seed</span>
          <div className="seed">
            <input inputMode="numeric" value={seed} onChange={(event) => setSeed(event.target.value.replace(/\D/g, ''))} />
            <button type="button" className="icon-button" title="New random seed" onClick={() => setSeed(randomSeed())}>
              <Icon name="dice" />
            </button>
          </div>
        </div>
        <button type="submit" className="primary" disabled title="Install a model first">
          Generate
        </button>
        <p className="hint">
          No model is installed yet.{' '}
          <button type="button" className="link" onClick={() => setScreen('models')}>
            Open Models
          </button>
        </p>
      </form>
      <section className="canvas" aria-label="Result">
        <div className="empty-state">
          <Icon name="generate" size={40} />
          <h2>Your images appear here</h2>
          <p>Write a prompt, adjust the settings, and press Generate.</p>
        </div>
      </section>
    </div>
  );
}
