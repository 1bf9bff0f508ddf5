/**
 * Access tokens: HS256 JWTs that Kasal signs, and optionally tokens from an external identity
 * provider verified against its JWKS. Algorithms are pinned, so `alg: none` and algorithm
 * confusion are rejected; issuer, audience and expiry are always checked.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config';

export interface VerifiedToken {
  /** `local`: signed by Kasal, `sub` is the user id. `external`: from the JWKS provider. */
  source: 'local' | 'external';
  subject: string;
  email?: string;
  name?: string;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenService {
  issue(user: { id: string; email: string }): Promise<{ token: string; expiresIn: number }>;
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
    const email = claimString(payload, auth.jwks.emailClaim);
    if (!email) throw new InvalidTokenError(`token has no '${auth.jwks.emailClaim}' claim`);
    if (payload.email_verified === false) throw new InvalidTokenError('the email is not verified');
    const name = claimString(payload, 'name');
    return {
      source: 'external',
      subject: payload.sub as string,
      email: email.toLowerCase(),
      ...(name && { name }),
    };
  }

  return {
    async issue(user) {
      const token = await new SignJWT({ email: user.email })
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
        return { source: 'local', subject: payload.sub as string };
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        throw new InvalidTokenError(describeJoseError(error));
      }
    },
  };
}

function claimString(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
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
