/**
 * What a new password must be: long enough (KASAL_PASSWORD_MIN_LENGTH) and not one of the most
 * common passwords (the list in common-passwords.json, compared in lowercase).
 */
import { z } from 'zod';
import commonPasswordList from './common-passwords.json';

export interface PasswordPolicy {
  minLength: number;
}

/** No configuration may go below this; the common-password list starts at this length too. */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MAX_LENGTH = 200;

let commonPasswords: ReadonlySet<string> | undefined;

export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(commonPasswordList.passwords);
  return commonPasswords.has(password.toLowerCase());
}

/** A new password under the policy; each rule's message names it. */
export function passwordSchema(policy: PasswordPolicy) {
  return z
    .string()
    .min(policy.minLength, `must be at least ${policy.minLength} characters`)
    .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .refine(
      (password) => !isCommonPassword(password),
      'is one of the most common passwords; choose one that is harder to guess',
    )
    .describe(
      `At least ${policy.minLength} characters (KASAL_PASSWORD_MIN_LENGTH) and not one of the most common passwords`,
    );
}
