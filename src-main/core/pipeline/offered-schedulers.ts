import { schedulerNames, type SchedulerName } from '../../../src-preload/api';
import { schedulerLabels } from '../../../src-shared/schedulers';
import { EaselError } from '../errors';
import type { GenerationModel } from './types';

/** The schedulers a model is offered with: its catalog entry's list, or every scheduler for a model without one. */
export function offeredSchedulers(listed: readonly SchedulerName[] | undefined): SchedulerName[] {
  return [...(listed ?? schedulerNames)];
}

/**
 * Refuses a scheduler the model's catalog entry leaves out (its pictures come out broken with it), naming the
 * field and the schedulers that work.
 */
export function requireOfferedScheduler(model: Pick<GenerationModel, 'name' | 'schedulers'>, scheduler: SchedulerName): void {
  if (model.schedulers === undefined || model.schedulers.includes(scheduler)) return;
  const working = model.schedulers.map((name) => schedulerLabels[name]).join(', ');
  throw new EaselError(
    'invalid_request',
    `${model.name} does not draw right with ${schedulerLabels[scheduler]}: its pictures come out smeared or in the wrong colours. Use one of ${working}.`,
    { field: 'scheduler', scheduler, schedulers: [...model.schedulers] },
  );
}
