/** One line of the verify (or --preflight) report. */
export type Status = "pass" | "fail" | "could-not-check";

export interface CheckResult {
  /** key, rotation, alias, policy, secret, bucket, table, function, usage, destructive-events */
  readonly check: string;
  /** What was checked: the alias, a resource name, the key ARN. */
  readonly target: string;
  readonly status: Status;
  readonly reason: string;
  readonly details?: unknown;
}

/**
 * Why a call could not be made: no credentials, access denied, a missing resource, throttling
 * past the SDK's retries, no connection. Never a pass, never a failure of encryption.
 */
export function cannotCheck(check: string, target: string, error: unknown): CheckResult {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e.name ?? e.Code ?? "Error";
  const message = e.message ?? String(error);
  let reason: string;
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(message)) reason = `no AWS credentials (${message})`;
  else if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException)$/.test(name))
    reason = `access denied: ${message}`;
  else if (/^(NotFoundException|ResourceNotFoundException|NoSuchBucket|NoSuchKey|NoSuchEntity|NotFound)$/.test(name)) reason = `not found: ${message}`;
  else if (/^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded|SlowDown)$/.test(name))
    reason = `throttled past the SDK's retries: ${message}`;
  else if (name === "AbortError" || name === "TimeoutError") reason = `timed out: ${message}`;
  else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up/i.test(`${name} ${message}`)) reason = `could not reach AWS: ${message}`;
  else reason = `${name}: ${message}`;
  return { check, target, status: "could-not-check", reason };
}

/** 0 all pass; 1 something is wrong; 2 something could not be checked (and nothing is wrong). */
export function exitCode(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === "fail")) return 1;
  if (results.some((r) => r.status === "could-not-check")) return 2;
  return 0;
}
