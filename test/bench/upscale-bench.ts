import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { OnnxSession } from '../../src-main/core/runtime/session';
import { sessionTileUpscaler } from '../../src-main/core/upscale/onnx-upscaler';
import { upscaleInTiles } from '../../src-main/core/upscale/tiles';

export interface UpscaleBenchResult {
  model: string;
  input: string;
  output: string;
  tiles: number;
  ms: number;
  /** Resident memory above what the process held before, at its highest (sampled after each tile). */
  peakRssGrowthMb: number;
  /** The 8-bit output picture alone, which any upscaler must hold. */
  outputMb: number;
  /** One 64-channel float32 activation of the whole picture: what an untiled run would hold several of. */
  wholeImageActivationMb: number;
}

const MB = 1024 * 1024;

/** Upscales a large picture with the built-in ×2 model in 256 px tiles and records peak memory. */
export async function benchUpscale(width: number, height: number): Promise<UpscaleBenchResult> {
  const model = 'esrgan-slim-x2';
  const session = await OnnxSession.create(path.resolve(__dirname, '../../resources/models', model, 'model.onnx'), 'cpu');
  try {
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let tiles = 0;
    const start = performance.now();
    const result = await upscaleInTiles({ data, width, height }, sessionTileUpscaler(session), {
      scale: 2,
      tileSize: 256,
      overlap: 48,
      onTile: (done) => {
        tiles = done;
        peak = Math.max(peak, process.memoryUsage().rss);
      },
    });
    const ms = performance.now() - start;
    const report: UpscaleBenchResult = {
      model,
      input: `${width}x${height}`,
      output: `${result.width}x${result.height}`,
      tiles,
      ms: Math.round(ms),
      peakRssGrowthMb: Math.round((peak - baseline) / MB),
      outputMb: Math.round(result.data.length / MB),
      wholeImageActivationMb: Math.round((width * height * 64 * 4) / MB),
    };
    console.log(
      `Upscale ${report.input} → ${report.output} with ${model} in ${report.tiles} tiles: ${report.ms} ms, ` +
        `peak RSS +${report.peakRssGrowthMb} MB (output ${report.outputMb} MB; one whole-image activation would be ${report.wholeImageActivationMb} MB)`,
    );
    return report;
  } finally {
    await session.release();
  }
}

if (require.main === module) {
  const [width, height] = (process.argv[2] ?? '1024x768').split('x').map(Number) as [number, number];
  void benchUpscale(width, height);
}
