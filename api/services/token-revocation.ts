/**
 * Revoking a user's tokens: every token Kasal issues carries the user's token version (`ver`),
 * and a token whose version is not the current one is refused. API keys carry no version: they
 * are checked against the user's current roles on every request and revoked one by one.
 */
import type { User } from '../../shared/node/db/entities';

export function revokeTokens(user: User): void {
  user.tokenVersion += 1;
}
