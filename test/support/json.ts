// JSON read back in a test (an admin page, a manifest, a decoded Envoy message): the test knows the
// shape it expects and reads it directly; a wrong guess fails the assertion, as it should.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;
