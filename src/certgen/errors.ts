// certgen's one error type: a message for the user, printed without a stack (main.ts exits 2 on usage
// errors and 1 on others).

export class CertgenError extends Error {}
