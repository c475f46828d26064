import { deferred, fake, model, ok } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ImportProgress, ModelSummary, Result } from '../../../../src-preload/api';
import { useCheckpointImportStore } from '../../../../src-renderer/stores/checkpoint-import-store';
import { useModelsStore } from '../../../../src-renderer/stores/models-store';

beforeEach(() => {
  fake.reset();
  useCheckpointImportStore.setState(useCheckpointImportStore.getInitialState(), true);
  useModelsStore.setState(useModelsStore.getInitialState(), true);
});

const owl = () => new File([new Uint8Array(64)], 'Night Owl.safetensors');

function progress(importId: string, index: number): ImportProgress {
  return {
    importId,
    fileName: 'Night Owl.safetensors',
    stages: [
      { stage: 'receiving', label: 'Receiving the file' },
      { stage: 'checking', label: 'Checking the file and the free disk space' },
    ],
    index,
    bytes: index === 0 ? 32 : null,
    totalBytes: index === 0 ? 64 : null,
  };
}

describe('the checkpoint import store', () => {
  it('uploads the file with its name and size, follows its stages while it runs, and lists the model it made', async () => {
    const answer = deferred<Result<ModelSummary>>();
    fake.answerUpload('models.importCheckpoint', answer.promise);
    const started = useCheckpointImportStore.getState().start(owl());

    const [request] = fake.uploadRequests('models.importCheckpoint');
    expect(request).toMatchObject({ fileName: 'Night Owl.safetensors', size: 64 });
    fake.emit('models.importProgress', progress(request!.importId, 0));
    fake.emit('models.importProgress', progress('someone-elses-import', 1));
    expect(useCheckpointImportStore.getState().tasks).toMatchObject([{ state: 'running', progress: { index: 0, bytes: 32 } }]);

    answer.resolve(ok(model('night-owl', { origin: 'imported' })));
    await started;
    expect(useCheckpointImportStore.getState().tasks).toMatchObject([{ state: 'done', model: { id: 'night-owl' } }]);
    expect(useModelsStore.getState().models.map((each) => each.id)).toEqual(['night-owl']);
    expect(fake.listenerCount('models.importProgress')).toBe(0);
  });

  it('refuses a pickle by its name without sending it, and shows a failed import until dismissed', async () => {
    await useCheckpointImportStore.getState().start(new File([new Uint8Array(4)], 'old.ckpt'));
    expect(fake.calls).toEqual([]);
    const [task] = useCheckpointImportStore.getState().tasks;
    expect(task).toMatchObject({ state: 'failed', error: { code: 'model_unsafe' } });
    expect(task!.error!.message).toMatch(/^old\.ckpt is a PyTorch pickle/);
    useCheckpointImportStore.getState().dismiss(task!.importId);
    expect(useCheckpointImportStore.getState().tasks).toEqual([]);
  });

  it('shows a cancel as cancelled even when the cut connection answers the upload with a network error', async () => {
    const answer = deferred<Result<ModelSummary>>();
    fake.answerUpload('models.importCheckpoint', answer.promise);
    fake.answer('models.cancelImport', { cancelled: true });
    const started = useCheckpointImportStore.getState().start(owl());
    const importId = useCheckpointImportStore.getState().tasks[0]!.importId;
    await useCheckpointImportStore.getState().cancel(importId);
    expect(fake.requests('models.cancelImport')).toEqual([{ importId }]);
    answer.resolve({ ok: false, error: { code: 'network', message: 'Lost the connection to Easel while sending the file.' } });
    await started;
    expect(useCheckpointImportStore.getState().tasks).toMatchObject([{ state: 'cancelled', error: null }]);
  });
});
