/**
 * Requests that Node's HTTP parser refuses before Express sees them (headers too large, a
 * malformed request, a request too slow to arrive) are answered in the API's error shape too,
 * instead of Node's bare status line.
 */
import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_ERROR_CODES } from '../../shared/errors';
import { ApiError } from './errors';

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Node's own handler does not answer on a socket already answering a request either.
    const answering = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error);
    const body = JSON.stringify(refusal.toBody());
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}

function refusalOf(error: NodeJS.ErrnoException): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(
        431,
        API_ERROR_CODES.headersTooLarge,
        'The request headers are larger than the server accepts',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError(
        413,
        API_ERROR_CODES.payloadTooLarge,
        'The chunk extensions of the request are larger than the server accepts',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(
        408,
        API_ERROR_CODES.requestTimeout,
        'The request did not arrive in time',
      );
    default:
      return new ApiError(400, API_ERROR_CODES.malformedRequest, 'The request is not valid HTTP');
  }
}
