import { expect } from 'vitest';
import { EaselError } from '../../src-main/core/errors';

/** The EaselError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<EaselError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    return error as EaselError;
  }
  throw new Error('expected a failure');
}
