import type { SchedulerName } from '../src-preload/api';

/**
 * Each scheduler as people name it. These are AUTOMATIC1111's names: the ones its PNG parameters carry
 * ("Sampler: Euler a"), which most people have met first; "DPM++ 2M Karras" is how A1111 wrote the
 * Karras variant before it named the schedule separately.
 */
export const schedulerLabels: Readonly<Record<SchedulerName, string>> = {
  ddim: 'DDIM',
  pndm: 'PLMS',
  lms: 'LMS',
  euler: 'Euler',
  'euler-a': 'Euler a',
  heun: 'Heun',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  unipc: 'UniPC',
  lcm: 'LCM',
};
