package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"

	"github.com/sessionguard/sessionguard/wire"
)

// Browser is the part of the web platform that the Client uses. The
// WebAssembly build implements it with syscall/js (wasm/*_wasm.go); tests
// implement it with a fake. Methods other than Fetch return at once. Fetch
// blocks until the answer is in, so the Client only calls it from goroutines
// of its own, never from an event handler.
//
// Calls that can run page code (Dispatch, Element.SetHidden, Element.SetText)
// are never made while the Client holds its state lock, so page code may call
// back into the Client.
type Browser interface {
	// Location returns the document's current URL.
	Location() Location
	// Embedded returns the JSON in the element with the given id (the
	// server's <script type="application/json"> tags). found is false when
	// there is no such element or its text is not JSON; v is nil for null.
	Embedded(id string) (v Value, found bool)
	// HistoryIndex returns the index the Client stored in history.state for
	// the current entry; ok is false when there is none.
	HistoryIndex() (index int, ok bool)
	// PushState adds a history entry for the absolute URL url and stores
	// index in its state. It does not load a page.
	PushState(index int, url string)
	// ReplaceState is PushState without a new entry.
	ReplaceState(index int, url string)
	// Go moves delta entries through the history, as history.go does; the
	// browser reports the move later with a popstate event.
	Go(delta int)
	// Load loads url as a full page (location.assign, or location.replace
	// when replace is true).
	Load(url string, replace bool)
	// ScrollTo scrolls to the element a fragment ("#part") names, or to the
	// top of the page when hash is "" or names no element.
	ScrollTo(hash string)
	// Query returns the elements that match a CSS selector, in document
	// order.
	Query(selector string) []Element
	// Dispatch dispatches a CustomEvent on window whose detail is the
	// JSON text detail, parsed: a session (or null), a Blocked, a
	// Navigated or an Ended, as their JSON shows them.
	Dispatch(event, detail string)
	// Fetch sends a same-origin request with the page's cookies and reads
	// the whole answer. err is for failures to get an answer at all
	// (network, timeout); any HTTP status is a Response.
	Fetch(req Request) (*Response, error)
}

// Broadcaster is an optional ability of a Browser: telling the module in the
// page's other tabs (BroadcastChannel) about a session the server confirmed,
// and carrying the messages of the fallback refresh lock. Those tabs call
// Client.HandleBroadcast with each message, in the order they arrive, one at
// a time.
type Broadcaster interface {
	// Broadcast posts the JSON text of a Message to the other tabs, as the
	// object it describes: a session message is {"session": {…}|null}
	// plus "accessExpires" when known and "ended" when the event stream
	// ended it, a lock message {"lock": op, "id": id}, a stream message
	// {"lock": "", "stream": op} (relay.go). It reports whether there is a
	// channel to post to. It runs no page code.
	Broadcast(message string) bool
}

// Message is what the module tells the module in the page's other tabs.
type Message struct {
	// Session is the session the server confirmed (nil: signed out),
	// unless Lock is set.
	Session *wire.Session
	// AccessExpires is when the access token in the shared cookie expires
	// (jwt strategy); zero when unknown.
	AccessExpires lite.Time
	// Ended, with a nil Session, is the stream event that ended the
	// session (ReasonRevoked, ReasonExpired, ReasonRoleChanged), which the
	// tab that holds the event stream confirmed.
	Ended string
	// Lock ("claim", "held", "release") and ID (the sender's tab id) make
	// a message of the refresh lock that stands in for navigator.locks.
	Lock, ID string
}

// Locker is an optional ability of a Browser: the Web Locks API
// (navigator.locks), shared by every tab of the origin. Browsers offer it
// only in a secure context; elsewhere the Client falls back to an election
// over the Broadcaster (see withLock).
type Locker interface {
	// WithLock waits until this tab holds the lock called name, runs f
	// and releases the lock; f learns whether the lock was held elsewhere
	// when it was asked for (the tab waited). It returns
	// errors.ErrUnsupported at once, without running f, when the page has
	// no Web Locks API, and another error when the lock could not be taken
	// (f did not run). The wait for LockName is bounded (its holder gives
	// it back after a request); the wait for StreamLockName is not (its
	// holder keeps it for the rest of its life: f does not return).
	WithLock(name string, f func(waited bool)) error
}

// Storage is an optional ability of a Browser: the origin's localStorage,
// shared by its tabs. Its methods do nothing (and GetItem finds nothing)
// where the page may not use storage.
type Storage interface {
	GetItem(key string) (value string, found bool)
	SetItem(key, value string)
	RemoveItem(key string)
}

// Streamer is an optional ability of a Browser: a long-lived GET whose
// body arrives in pieces (fetch with a ReadableStream), for the live event
// stream, and whether the page is visible. Without it the Client keeps no
// stream.
type Streamer interface {
	// OpenStream sends GET url with the page's cookies and blocks until
	// the answer's head is in. It returns the status and, for 200, the
	// body to read (nil otherwise); err is for no answer at all.
	OpenStream(url string) (status int, body Stream, err error)
	// Visible reports whether the page is visible (document.visibilityState).
	Visible() bool
}

// Stream is the body of a streamed answer.
type Stream interface {
	// Read blocks until the next piece of the body is in and returns it
	// as text. err is set at the end of the body, on failure and after
	// Close.
	Read() (text string, err error)
	// Close aborts the request. It may be called more than once and
	// from any goroutine.
	Close()
}

// Filler is an optional ability of a Browser: rendering a list from a
// <template>.
type Filler interface {
	// Fill removes the items an earlier Fill added for container, then
	// clones the first <template> inside container n times, adds the
	// clones after the template (in its parent) and returns the root
	// element of each clone, in order. It returns nil when container has
	// no template.
	Fill(container Element, n int) []Element
}

// Element is a DOM element.
type Element interface {
	// Attr returns the value of an attribute and whether it is present.
	Attr(name string) (string, bool)
	// SetHidden sets the element's hidden attribute.
	SetHidden(hidden bool)
	// SetText sets the element's text content (never HTML).
	SetText(text string)
	// Tag returns the tag name, upper case for HTML elements ("A").
	Tag() string
	// Parent returns the parent element, or nil.
	Parent() Element
	// Href returns the absolute URL that a link points to (the href
	// property), or "" when the element has none.
	Href() string
	// SetAttr sets an attribute.
	SetAttr(name, value string)
	// Query returns the elements below this one that match a CSS
	// selector, in document order.
	Query(selector string) []Element
}

// Value is a parsed JSON value. A JSON null is a nil Value.
type Value interface {
	// Get returns an object's member, or nil when v is not an object or
	// has no such member (or it is null).
	Get(key string) Value
	// AsString returns the value of a JSON string.
	AsString() (string, bool)
	// AsNumber returns the value of a JSON number.
	AsNumber() (float64, bool)
	// AsBool returns the value of a JSON boolean.
	AsBool() (bool, bool)
	// Len returns the length of a JSON array, 0 for anything else.
	Len() int
	// Index returns an array's element i (nil when out of range).
	Index(i int) Value
}

// Location is a URL split as the browser's Location object does.
type Location struct {
	Origin string // "https://example.com"
	Path   string // escaped path, "/dashboard"
	Search string // "" or "?tab=1"
	Hash   string // "" or "#top"
}

// Target returns the same-origin part of the URL: path, search and hash.
func (l Location) Target() string { return l.Path + l.Search + l.Hash }

// Request is a same-origin HTTP request.
type Request struct {
	Method string
	// URL is a path such as "/api/session".
	URL string
	// Body is sent as a JSON object of strings (with Content-Type
	// application/json); nil sends no body.
	Body map[string]string
	// JSON, when not "", is sent as the body instead (with Content-Type
	// application/json).
	JSON string
	// Timeout aborts the request after this long; 0 means no limit.
	Timeout lite.Duration
}

// Response is an HTTP answer with its body parsed as JSON.
type Response struct {
	Status int
	// Header holds the response headers by lower-case name.
	Header map[string]string
	// Body is the parsed JSON body; nil for null or when BadBody is true.
	Body Value
	// BadBody reports whether the body was not valid JSON.
	BadBody bool
}

// Clock tells the time and runs functions later: in the module, the
// browser's Date.now() and setTimeout. The Client reads no other clock (the
// module links no time package).
type Clock interface {
	// UnixNano returns the time as nanoseconds since the Unix epoch.
	UnixNano() int64
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d lite.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports whether it did.
	Stop() bool
}
