/**
 * Reads a request's JSON body. Endpoints call it once the caller's credentials are checked, so
 * an anonymous client learns nothing from body errors: only JSON is accepted (415 otherwise), at
 * most `maxBodyBytes` of it (413), and it must parse (400).
 */
import express, { type Request, type Response } from 'express';
import { API_ERROR_CODES } from '../../shared/errors';
import { ApiError } from './errors';

export type BodyReader = (req: Request, res: Response) => Promise<void>;

export function createBodyReader(maxBodyBytes: number): BodyReader {
  const parseJson = express.json({
    limit: maxBodyBytes,
    type: ['application/json', 'application/*+json'],
  });
  return async (req, res) => {
    requireJsonBody(req);
    await new Promise<void>((resolve, reject) => {
      parseJson(req, res, (error?: Error) => (error ? reject(error) : resolve()));
    });
  };
}

function requireJsonBody(req: Request): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json') && !req.is('application/*+json')) {
    throw new ApiError(
      415,
      API_ERROR_CODES.unsupportedMediaType,
      `Unsupported content type '${req.headers['content-type'] ?? '(none)'}'; send application/json`,
    );
  }
}
