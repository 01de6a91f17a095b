package lite

// ASCII versions of strings helpers: the names the module compares (tag
// names, target="_self", rel tokens) are ASCII, and strings.EqualFold,
// strings.Fields and strings.ToLower would pull Unicode tables in.

// EqualFold reports whether a and b are equal under ASCII case folding.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// TrimSpace removes leading and trailing ASCII white space.
func TrimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// HasToken reports whether the list of tokens separated by ASCII white
// space holds tok (ASCII case folded), as rel="noopener external" does.
func HasToken(list, tok string) bool {
	for start, i := 0, 0; i <= len(list); i++ {
		if i == len(list) || isSpace(list[i]) {
			if i > start && EqualFold(list[start:i], tok) {
				return true
			}
			start = i + 1
		}
	}
	return false
}

// Atoi reads a non-negative decimal number of at most nine digits
// (strconv.Atoi's error would pull strconv's quoting tables into the
// module).
func Atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
