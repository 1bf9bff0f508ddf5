/** Only JSON bodies are accepted: anything else on a write is a 415, not a guess. */
import type { RequestHandler } from 'express';
import { API_ERROR_CODES } from '../../shared/errors';
import { ApiError } from './errors';

export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json') && !req.is('application/*+json')) {
    next(
      new ApiError(
        415,
        API_ERROR_CODES.unsupportedMediaType,
        `Unsupported content type '${req.headers['content-type'] ?? '(none)'}'; send application/json`,
      ),
    );
    return;
  }
  next();
};
