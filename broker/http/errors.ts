/**
 * Every error code the HTTP API answers with, and what it means. The body is always
 * `{error: {code, message}}` with a one-sentence message saying what is wrong and what to do.
 */
export const HTTP_ERROR_CODES = {
  bad_request: "the request's path, query or body does not match the API (docs/openapi.json)",
  unauthorized: "no bearer token, or a token the fleet does not know (or revoked)",
  forbidden: "the token's role may not do this",
  not_found: "no such route, device, ticket, command or silence",
  conflict: "the action does not apply to the object's current state",
  unavailable: "the unit that serves this route is not running in this fleet",
  internal: "a bug or a store failure; see the fleet log",
} as const;
export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;

const STATUS: Record<HttpErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

/** An error the error handler turns into `{error: {code, message}}` with the code's status. */
export function httpError(code: HttpErrorCode, message: string): Error & { statusCode: number; code: HttpErrorCode } {
  return Object.assign(new Error(message), { statusCode: STATUS[code], code });
}

export function notFound(what: string): Error {
  return httpError("not_found", `${what} not found; check the id (list them with the matching GET endpoint)`);
}
