// Parity with the former Node server.mjs, whose answers tests were written against: how it
// found the route (WHATWG URL pathname), how it parsed the test-action body (JSON.parse),
// and how it wrote JSON (JSON.stringify: no HTML escaping, integer-like keys first).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// pathname is the path `new URL(req.url, 'http://x').pathname` gave server.mjs, to the
// extent routing can see it: query and fragment cut, backslashes as slashes, a leading
// "//host" taken as an authority, "." and ".." segments (also as %2e) resolved. Percent
// escapes stay encoded, as in WHATWG URLs, so "/%68ealthz" matches no route in either.
func pathname(r *http.Request) string {
	target := r.RequestURI
	switch {
	case target == "*":
		return "/*"
	case !strings.HasPrefix(target, "/"):
		// absolute-form, "GET http://host/healthz": the URL's own path
		target = r.URL.EscapedPath()
		if target == "" {
			target = "/"
		}
	default:
		if i := strings.IndexAny(target, "?#"); i >= 0 {
			target = target[:i]
		}
		target = strings.ReplaceAll(target, `\`, "/")
		if strings.HasPrefix(target, "//") {
			rest := strings.TrimLeft(target, "/")
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				return "/"
			}
			target = rest[i:]
		}
	}
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	segments := strings.Split(target[1:], "/")
	out := make([]string, 0, len(segments))
	for i, s := range segments {
		last := i == len(segments)-1
		switch strings.ToLower(s) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// testActionSuccess is `JSON.parse(body || '{}').test === true`; ok is false where that
// threw (bad JSON, or null, whose .test is a TypeError).
func testActionSuccess(body []byte) (success, ok bool) {
	if len(body) == 0 {
		return false, true
	}
	if !json.Valid(body) {
		return false, false
	}
	switch bytes.TrimLeft(body, " \t\r\n")[0] {
	case 'n':
		return false, false
	case '{':
		// RawMessage keeps numbers such as 1e400 (Infinity to JS) from failing to
		// decode; for a repeated key the last one wins, as in JSON.parse.
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return false, false
		}
		return string(obj["test"]) == "true", true
	}
	return false, true
}

// jsString quotes s as JSON.stringify does: only ", \ and control characters are escaped
// (Go's encoding/json would also escape <, >, &, U+2028 and U+2029). Invalid UTF-8 becomes
// U+FFFD, as Node's decoding of the environment made it.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// flagSet is FEATURE_FLAGS as the object server.mjs built with Object.fromEntries: a name
// keeps the place it first appeared with the value it last had, and JavaScript lists
// integer-like names ("0", "42") first in numeric order.
type flagSet struct {
	names []string
	on    map[string]bool
}

// parseFlags mirrors split(',').filter(Boolean).map(p => p.split('=')): the name is what
// precedes the first '=', the state what lies between the first and a second '='.
func parseFlags(s string) flagSet {
	f := flagSet{on: map[string]bool{}}
	for _, pair := range strings.Split(string([]rune(s)), ",") {
		if pair == "" {
			continue
		}
		parts := strings.Split(pair, "=")
		state := ""
		if len(parts) > 1 {
			state = parts[1]
		}
		if _, seen := f.on[parts[0]]; !seen {
			f.names = append(f.names, parts[0])
		}
		f.on[parts[0]] = state == "on"
	}
	sort.SliceStable(f.names, func(i, j int) bool {
		a, aIndex := arrayIndex(f.names[i])
		b, bIndex := arrayIndex(f.names[j])
		if aIndex && bIndex {
			return a < b
		}
		return aIndex && !bIndex
	})
	return f
}

// arrayIndex reports whether JavaScript treats name as an array index (a canonical
// integer below 2^32-1), which object key order puts first.
func arrayIndex(name string) (uint64, bool) {
	if name == "" || (len(name) > 1 && name[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(name, 10, 64)
	if err != nil || n >= 1<<32-1 {
		return 0, false
	}
	return n, true
}

func (f flagSet) json() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range f.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsString(name))
		b.WriteByte(':')
		b.WriteString(strconv.FormatBool(f.on[name]))
	}
	b.WriteByte('}')
	return b.String()
}
