package auth

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wire"
)

// The app shell's body is rendered on the server as the browser module
// renders it, so the first paint is right and a page without script (or
// whose module failed) shows what the visitor may see: an element with
// data-sg-show, data-sg-role or data-sg-route gets the hidden attribute when
// the module would hide it, an empty data-sg-text element gets its text,
// and an element with data-sg-error="<code>" is hidden unless the page's
// ?error is that code (a plain form's refusal: backToForm). The module
// takes over once it runs.
//
// The shell is cut once, at load, into literal pieces and the start tags
// of those elements. A start tag is read up to the first ">", so their
// attribute values must not hold one.

// shellTag is a start tag of the shell that renders per request.
type shellTag struct {
	name  []byte // "<div": the hidden attribute goes after it
	rest  []byte // the remainder of the tag, through ">"
	empty bool   // the element has no content ("></"): it may get text

	show, role, route, text, errorCode   string
	hasShow, hasRole, hasRoute, hasError bool
	fallback                             bool            // data-sg-route="*"
	pattern                              *policy.Pattern // data-sg-route; nil when invalid
}

// shellBody is the shell after </head>: literal[0], tag[0], literal[1], ….
type shellBody struct {
	literal  [][]byte
	tags     []shellTag
	size     int  // bytes of the literals and tags
	routes   bool // some data-sg-route other than "*"
	fallback bool // a data-sg-route="*" (a not-found view)
}

var (
	startTag  = regexp.MustCompile(`<[a-zA-Z][a-zA-Z0-9-]*\s[^>]*\bdata-sg-(?:show|role|route|text|error)\b[^>]*>`)
	tagName   = regexp.MustCompile(`^<[a-zA-Z][a-zA-Z0-9-]*`)
	attribute = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+))`)
)

// compileBody cuts b into literals and the start tags that render.
func compileBody(b []byte) *shellBody {
	body := &shellBody{}
	last := 0
	for _, loc := range startTag.FindAllIndex(b, -1) {
		raw := b[loc[0]:loc[1]]
		name := tagName.Find(raw)
		t := shellTag{name: name, rest: raw[len(name):], empty: bytes.HasPrefix(b[loc[1]:], []byte("</"))}
		for _, m := range attribute.FindAllSubmatch(raw[len(name):], -1) {
			v := html.UnescapeString(string(m[2]) + string(m[3]) + string(m[4]))
			switch strings.ToLower(string(m[1])) {
			case "data-sg-show":
				t.show, t.hasShow = strings.TrimSpace(v), true
			case "data-sg-role":
				t.role, t.hasRole = v, true
			case "data-sg-text":
				t.text = strings.TrimSpace(v)
			case "data-sg-error":
				t.errorCode, t.hasError = strings.TrimSpace(v), true
			case "data-sg-route":
				t.route, t.hasRoute = v, true
				if strings.TrimSpace(v) == "*" {
					t.fallback, body.fallback = true, true
				} else if pt, err := policy.ParsePattern(v); err == nil {
					t.pattern = &pt
					body.routes = true
				}
			}
		}
		body.literal = append(body.literal, b[last:loc[0]])
		body.tags = append(body.tags, t)
		last = loc[1]
	}
	body.literal = append(body.literal, b[last:])
	body.size = len(b)
	return body
}

// view is what one answer renders: the session, the cleaned path (ok false
// when it cannot be cleaned) and the page's ?error code.
type view struct {
	session   *wire.Session
	path      string
	pathOK    bool
	errorCode string
}

// matchesRoute reports whether some data-sg-route other than "*" matches
// the view's path.
func (sb *shellBody) matchesRoute(v view) bool {
	if !v.pathOK {
		return false
	}
	for i := range sb.tags {
		if p := sb.tags[i].pattern; p != nil && p.Match(v.path) {
			return true
		}
	}
	return false
}

// notFound reports whether the shell declares its views and a not-found
// view, and the path is none of the others: the answer is 404.
func (sb *shellBody) notFound(v view) bool {
	return sb.routes && sb.fallback && !sb.matchesRoute(v)
}

// write renders the body for v into buf.
func (sb *shellBody) write(buf *bytes.Buffer, v view) {
	routeMatched := sb.matchesRoute(v)
	for i := range sb.tags {
		t := &sb.tags[i]
		buf.Write(sb.literal[i])
		buf.Write(t.name)
		if !t.visible(v, routeMatched) {
			buf.WriteString(" hidden")
		}
		buf.Write(t.rest)
		if t.empty && t.text != "" {
			buf.WriteString(html.EscapeString(sessionText(v.session, t.text)))
		}
	}
	buf.Write(sb.literal[len(sb.literal)-1])
}

// visible is the module's rule (wasm/client.Render) for one element, and
// data-sg-error's.
func (t *shellTag) visible(v view, routeMatched bool) bool {
	s := v.session
	show := true
	if t.hasShow {
		switch t.show {
		case "authenticated":
			show = s != nil
		case "anonymous":
			show = s == nil
		default:
			show = false
		}
	}
	if t.hasRole {
		show = show && s != nil && s.User.Role != "" && hasToken(t.role, s.User.Role)
	}
	if t.hasRoute {
		switch {
		case t.fallback:
			show = show && !routeMatched
		default:
			show = show && t.pattern != nil && v.pathOK && t.pattern.Match(v.path)
		}
	}
	if t.hasError {
		show = show && v.errorCode != "" && t.errorCode == v.errorCode
	}
	return show
}

// sessionText is the text of a data-sg-text key, "" for an unknown key or
// without a session.
func sessionText(s *wire.Session, key string) string {
	if s == nil {
		return ""
	}
	switch key {
	case "user.name":
		return s.User.Name
	case "user.email":
		return s.User.Email
	case "user.role":
		return s.User.Role
	case "user.id":
		return s.User.ID
	case "expires":
		return s.Expires.String()
	}
	return ""
}

// hasToken reports whether the space-separated list holds tok, ignoring
// case (as the module's data-sg-role does).
func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
