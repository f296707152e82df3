import { ValidationFailedError, type FieldError } from '../../src/common/domain-error';

/** The field errors `work` refuses with (a ValidationFailedError's), or none if it passes; any other error is thrown on. */
export function problemsOf(work: () => unknown): FieldError[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationFailedError) return error.errors;
    throw error;
  }
  return [];
}
