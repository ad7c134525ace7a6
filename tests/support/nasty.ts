/**
 * Nasty-value arbitraries (fast-check) for property tests: values that have
 * broken validators, drivers or Postgres before — deep nesting (a recursive
 * schema overflows the stack), lone UTF-16 surrogates (jsonb refuses them),
 * NUL (text and jsonb refuse it), numbers at and past the edges, and ids that
 * look almost like UUIDs. Independent of any route list: a caller decides
 * where the values go (body fields, query values, path segments).
 */
import fc from "fast-check";

/** `depth` levels of arrays/objects around `leaf`, built without recursion. */
export function nested(depth: number, leaf: unknown = 1, shape: "array" | "object" | "mixed" = "mixed"): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++)
    v = shape === "array" || (shape === "mixed" && i % 2 === 0) ? [v] : { [`k${i % 3}`]: v };
  return v;
}

/** Nesting from just past a sane bound to far past where recursion overflows (~1 500). */
export const deepNesting = fc
  .tuple(fc.integer({ min: 33, max: 5000 }), fc.constantFrom("array", "object", "mixed") as fc.Arbitrary<"array">)
  .map(([depth, shape]) => nested(depth, "x", shape));

/** Strings with an unpaired high or low surrogate somewhere. */
export const loneSurrogate = fc
  .tuple(
    fc.string({ maxLength: 10 }),
    fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"),
    fc.string({ maxLength: 10 }),
  )
  .map(([a, s, b]) => a + s + b);

/** Strings with NUL (U+0000) in them. */
export const withNul = fc
  .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
  .map(([a, b]) => `${a}\u0000${b}`);

/** Numbers at and past the edges of ints, doubles and Postgres' integer types. */
export const hugeNumber = fc.oneof(
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    -(2 ** 63),
    1e21,
    -0,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Path/body ids: near-UUIDs (right length, wrong alphabet), nil, uppercase, traversal, huge. */
export const oddId = fc.oneof(
  fc.constantFrom(
    "",
    "a".repeat(36),
    "-".repeat(36),
    "g".repeat(36),
    "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
    " 00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-0000000000000",
    "..",
    "%00",
    "\u0000",
    "null",
    "0",
    "-1",
    "1e999",
    "x".repeat(300),
    "💥",
  ),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 36, maxLength: 36 }),
  fc.stringMatching(/^[0-9a-f-]{36}$/),
);

/** Odd text for strings anywhere: quotes, SQL/tsquery syntax, unicode, long runs. */
export const oddText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom("", " ", "' OR 1=1 --", "<script>", "a:*|!b", "%", "💥".repeat(30), "0".repeat(600)),
  withNul,
  loneSurrogate,
);

/** Any of the above, or plain wrong-typed JSON. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: oddText, weight: 3 },
  { arbitrary: hugeNumber, weight: 2 },
  { arbitrary: oddId, weight: 2 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: fc.array(oddText, { maxLength: 25 }), weight: 1 },
  { arbitrary: fc.dictionary(oddText, fc.oneof(oddText, hugeNumber), { maxKeys: 4 }), weight: 1 },
);

/** A JSON body: some of `keys` (plus an unknown one) with nasty values, or a nasty value as the whole body. */
export const nastyBody = (keys: string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    nastyValue,
    keys.length
      ? fc.dictionary(fc.constantFrom(...keys, "extra"), nastyValue, { maxKeys: keys.length + 1 })
      : fc.constant({}),
  );

/** Text for query values: odd text, numbers as text, ids. */
export const nastyQueryValue = fc.oneof(oddText, hugeNumber.map(String), oddId, fc.constantFrom("true", "all"));

/**
 * Header values a client can really send (a Request refuses CR, LF and NUL;
 * workerd re-encodes anything past ASCII as UTF-8, with a warning per value):
 * odd ETags and ranges, wrong media types, huge and negative numbers, long
 * runs, quotes and commas.
 */
export const nastyHeaderValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "*",
    '""',
    'W/"1"',
    '"1", "2"',
    '"99999999999999999999999"',
    "-1",
    "0",
    "1e309",
    "NaN",
    "bytes=0-",
    "bytes=-0",
    "bytes=5-1",
    "bytes=0-1,2-3",
    "bytes=99999999999999999999-",
    "items=0-1",
    "application/json; charset=utf-16",
    "application/json;;;",
    "multipart/form-data; boundary=x",
    "text/plain",
    "audio/wav",
    "audio/*",
    "websocket, h2c",
    "00000000-0000-0000-0000-000000000000",
    "%00%ff",
    "a".repeat(256),
    "x".repeat(1900),
  ),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  hugeNumber.map(String),
  oddId.filter((v) => /^[\t\x20-\x7e]*$/.test(v)),
);
