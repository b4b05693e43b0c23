import { pino, type Logger } from 'pino';

/**
 * JSON logs on stderr-free stdout, one line each. Anything that could carry a
 * credential is redacted by path, whatever logs it.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tessera' },
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
        'client_secret', '*.client_secret', 'password', '*.password', 'token', '*.token',
        'refresh_token', '*.refresh_token', 'access_token', '*.access_token', 'secret', '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
