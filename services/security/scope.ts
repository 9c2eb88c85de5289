import { InsufficientScopeError } from './errors.ts';

/** Whether a space-separated `scope` claim (RFC 8693 §4.2, RFC 9068) contains `required`. */
export function hasScope(scopeClaim: string | undefined, required: string): boolean {
  return scopeClaim !== undefined && scopeClaim.split(' ').includes(required);
}

/** Throws `InsufficientScopeError` unless the `scope` claim contains `required`. */
export function requireScope(scopeClaim: string | undefined, required: string): void {
  if (!hasScope(scopeClaim, required)) throw new InsufficientScopeError(required);
}
