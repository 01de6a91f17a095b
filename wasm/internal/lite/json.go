package lite

import "strconv"

// JSONObject builds the text of a JSON object, in the order its members are
// added, as encoding/json would write a struct. The zero value is an empty
// object. It is not safe for concurrent use.
type JSONObject struct{ b []byte }

func (o *JSONObject) key(k string) {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = AppendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

// Str adds the member k with the string v.
func (o *JSONObject) Str(k, v string) *JSONObject {
	o.key(k)
	o.b = AppendJSONString(o.b, v)
	return o
}

// Bool adds the member k with the boolean v.
func (o *JSONObject) Bool(k string, v bool) *JSONObject {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

// Int adds the member k with the number v.
func (o *JSONObject) Int(k string, v int) *JSONObject {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}

// Raw adds the member k with v, which must be JSON text.
func (o *JSONObject) Raw(k, v string) *JSONObject {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

// String returns the object's JSON text.
func (o *JSONObject) String() string {
	if len(o.b) == 0 {
		return "{}"
	}
	return string(o.b) + "}"
}

// AppendJSONString appends s as a JSON string. Bytes that are not valid
// UTF-8 are passed on; JSON.parse reads the text as the page decoded it.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
