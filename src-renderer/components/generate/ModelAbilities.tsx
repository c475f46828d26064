import type { ModelSummary } from '../../../src-preload/api';
import { useAppStore } from '../../stores/app-store';

interface ModelAbilitiesProps {
  model: ModelSummary | undefined;
  /** Installed models, to switch to the suggested one when it is here already. */
  installed: ModelSummary[];
  onExample(prompt: string): void;
  onSelectModel(id: string): void;
}

/** What the selected model can draw, under the prompt, with prompts that work one click away. */
export function ModelAbilities({ model, installed, onExample, onSelectModel }: ModelAbilitiesProps) {
  const setScreen = useAppStore((state) => state.setScreen);
  const abilities = model?.capabilities;
  if (!model || !abilities) return null;
  const suggestedId = abilities.suggestedModelId;
  const suggestedHere = installed.find((known) => known.id === suggestedId);
  return (
    <section className="model-abilities" aria-label={`What ${model.name} can draw`}>
      <p id="model-abilities-summary">{abilities.summary}</p>
      <div className="example-prompts" role="group" aria-label="Example prompts">
        {abilities.examples.map((example) => (
          <button key={example} type="button" className="example-prompt" title="Use this prompt" onClick={() => onExample(example)}>
            {example}
          </button>
        ))}
      </div>
      {suggestedId && (
        <p className="model-suggestion">
          For real pictures, use a full model:{' '}
          {suggestedHere ? (
            <button type="button" className="link" onClick={() => onSelectModel(suggestedHere.id)}>
              switch to {suggestedHere.name}
            </button>
          ) : (
            <button type="button" className="link" onClick={() => setScreen('models')}>
              download one on the Models screen
            </button>
          )}
          .
        </p>
      )}
    </section>
  );
}
