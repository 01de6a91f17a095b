// Package lite holds the browser module's small stand-ins for standard
// library code: the clock's Time and Duration in milliseconds (time.Time,
// time.Duration) and HTTP dates (time.Parse), a JSON writer (encoding/json),
// URL escaping and query reading (net/url), ASCII string helpers
// (strings.EqualFold, strings.Fields, strconv.Atoi) and error wrapping
// (fmt.Errorf). RFC 3339 is wire's (wire.Time), which ParseTime and
// FormatTime use.
//
// They exist for one reason, the size of the WebAssembly module: it imports
// no fmt, encoding/json, net/http or net/url, and the packages it does import
// would pull in Unicode tables, the time package (its layout machinery, zone
// rules and timers) or strconv's quoting tables through the functions
// replaced here (docs/PERFORMANCE.md measures
// each; wasm/client's TestWasmSize holds the budget). Each does exactly what
// the module needs, no more, and a fuzz target checks it against the
// standard library it replaces. The server uses the standard library.
package lite
