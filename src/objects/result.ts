// One result type for parsers and checks ("One result type" in docs/design.md): the value, or the problems that stop it (in the spirit of
// grpc-js-xds's ValidationResult<T>). A check that has no object in hand (a regex, a percentage)
// reports messages, which its caller turns into diagnostics on the field it was reading.

export type Result<T, Problem = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly diagnostics: readonly Problem[] };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function failure<Problem = string>(...diagnostics: Problem[]): { readonly ok: false; readonly diagnostics: readonly Problem[] } {
  return { ok: false, diagnostics };
}

/** A failure carrying a list of problems (a list, not spread: it may be input-sized). */
export function failureOf<Problem>(diagnostics: readonly Problem[]): { readonly ok: false; readonly diagnostics: readonly Problem[] } {
  return { ok: false, diagnostics };
}

/** A failed check's messages as one line, for a diagnostic on the field that was checked. */
export function reason(result: { readonly diagnostics: readonly string[] }): string {
  return result.diagnostics.join('; ');
}
