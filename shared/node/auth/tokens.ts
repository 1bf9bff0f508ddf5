/**
 * Access tokens: HS256 JWTs that Kasal signs, and optionally tokens from an external identity
 * provider verified against its JWKS. Algorithms are pinned, so `alg: none` and algorithm
 * confusion are rejected; issuer, audience and expiry are always checked, and every claim is
 * checked against a schema before anything uses it (a `sub` that is not a user id is refused).
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { formatFieldPath } from '../../errors';
import type { Config } from '../config';

/**
 * `local`: signed by Kasal; `subject` is the user id and `version` the user's token version when
 * it was issued. `external`: from the JWKS provider.
 */
export type VerifiedToken =
  | { source: 'local'; subject: string; version: number }
  | { source: 'external'; subject: string; email: string; name?: string };

const NumericDate = z.number().int().nonnegative();
const Audience = z.union([z.string(), z.array(z.string())]);

/** Exactly the claims Kasal puts in its tokens, each of its type. */
const LocalClaimsSchema = z.strictObject({
  sub: z.uuid(),
  ver: z.number().int().nonnegative(),
  email: z.string().optional(),
  iss: z.string(),
  aud: Audience,
  iat: NumericDate,
  exp: NumericDate,
  nbf: NumericDate.optional(),
});

/** What Kasal reads from an identity provider's token; other claims pass through unread. */
const ExternalClaimsSchema = z.looseObject({
  sub: z.string().min(1),
  iss: z.string().optional(),
  aud: Audience.optional(),
  iat: NumericDate.optional(),
  exp: NumericDate,
  nbf: NumericDate.optional(),
  // Some providers (Cognito) send the flag as a string.
  email_verified: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  name: z.string().optional(),
});

function parseClaims<S extends z.ZodType>(schema: S, payload: JWTPayload): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const claim = issue ? formatFieldPath(issue.path) : '';
  throw new InvalidTokenError(
    claim ? `claim '${claim}' is invalid: ${issue?.message}` : 'token claims are invalid',
  );
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenService {
  issue(user: {
    id: string;
    email: string;
    tokenVersion: number;
  }): Promise<{ token: string; expiresIn: number }>;
  verify(token: string): Promise<VerifiedToken>;
}

const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export function createTokenService(auth: Config['auth'], jwtSecret: string): TokenService {
  const secret = new TextEncoder().encode(jwtSecret);
  const jwks = auth.jwks && createRemoteJWKSet(new URL(auth.jwks.url));

  async function verifyExternal(token: string): Promise<VerifiedToken> {
    if (!jwks || !auth.jwks) throw new InvalidTokenError('token was not issued by Kasal');
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: EXTERNAL_ALGORITHMS,
      ...(auth.jwks.issuer && { issuer: auth.jwks.issuer }),
      ...(auth.jwks.audience && { audience: auth.jwks.audience }),
      requiredClaims: ['exp', 'sub'],
    });
    const claims = parseClaims(ExternalClaimsSchema, payload);
    const email = z.email().safeParse(payload[auth.jwks.emailClaim]);
    if (!email.success) {
      throw new InvalidTokenError(`token has no valid '${auth.jwks.emailClaim}' claim`);
    }
    if (claims.email_verified === false || claims.email_verified === 'false') {
      throw new InvalidTokenError('the email is not verified');
    }
    return {
      source: 'external',
      subject: claims.sub,
      email: email.data.toLowerCase(),
      ...(claims.name && { name: claims.name }),
    };
  }

  return {
    async issue(user) {
      const token = await new SignJWT({ email: user.email, ver: user.tokenVersion })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .setIssuedAt()
        .setExpirationTime(`${auth.expiresInSeconds}s`)
        .sign(secret);
      return { token, expiresIn: auth.expiresInSeconds };
    },

    async verify(token) {
      let issuer: string | undefined;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw new InvalidTokenError('malformed token');
      }
      try {
        if (issuer !== auth.issuer && jwks) return await verifyExternal(token);
        const { payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          issuer: auth.issuer,
          audience: auth.audience,
          requiredClaims: ['exp', 'sub'],
        });
        const claims = parseClaims(LocalClaimsSchema, payload);
        return { source: 'local', subject: claims.sub, version: claims.ver };
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        throw new InvalidTokenError(describeJoseError(error));
      }
    },
  };
}

function describeJoseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm is not allowed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `token claim check failed: ${(error as Error).message}`;
    default:
      return 'token is invalid';
  }
}
