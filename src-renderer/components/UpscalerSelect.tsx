import { useEffect } from 'react';
import { useGenerateStore } from '../stores/generate-store';

/**
 * Which upscaler the Upscale actions use, shown once a person has downloaded one (Models offers Real-ESRGAN):
 * the built-in one for the factor, each downloaded upscaler, or Lanczos. With none downloaded it shows nothing,
 * and upscaling uses the built-in one as before.
 */
export function UpscalerSelect() {
  const upscalers = useGenerateStore((state) => state.upscalers);
  const choice = useGenerateStore((state) => state.upscaler);
  const loaded = useGenerateStore((state) => state.modelsLoaded);
  useEffect(() => {
    if (!loaded) void useGenerateStore.getState().loadModels();
  }, [loaded]);
  const downloaded = upscalers.filter((model) => model.origin !== 'builtin');
  if (downloaded.length === 0) return null;
  return (
    <select className="upscaler-select" aria-label="Upscaler" value={choice} onChange={(event) => useGenerateStore.setState({ upscaler: event.target.value })}>
      <option value="auto">Built-in upscaler</option>
      {downloaded.map((model) => (
        <option key={model.id} value={model.id}>
          {model.name}
          {model.upscaleFactor === null ? '' : ` (×${model.upscaleFactor})`}
        </option>
      ))}
      <option value="lanczos">Lanczos (no model)</option>
    </select>
  );
}
