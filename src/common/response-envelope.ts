import { SetMetadata } from '@nestjs/common';
import type { FieldError } from './domain-error';

/** The body of every response, success or error. */
export interface ResponseEnvelope<T = unknown> {
  success: boolean;
  message: string;
  data: T | null;
  errors?: FieldError[];
  requestId?: string;
}

export const RESPONSE_MESSAGE = 'response-message';

/** The `message` of a route's successful envelope. */
export const ResponseMessage = (message: string) => SetMetadata(RESPONSE_MESSAGE, message);
