package parser

import "bytes"

// The pools an ambiguous line may belong to: the rule and the reasons for
// it are stated once, in README.md, "Which pools see an ambiguous line"
// under "Parsing rules". In short: pools come only from the name stretch,
// the line up to the server's own " userAgent=" (the first one when the
// server's block userPoolId … roleId stands before it, else the first one
// after that block), because from the user agent on anyone can write text.

// poolBlock is the server's keys from userPoolId up to userAgent.
var poolBlock = [...]Key{UserPoolID, UserID, RequestID, RoleName, RoleCode, RoleID}

// keysStart returns where the key=value text of e.Line may begin: just
// after "[timestamp]" (spaces there are the separator keyText looks for).
func (e *Event) keysStart() int {
	return min(len(e.Timestamp)+2, len(e.Line))
}

// keyText returns the index of the first text at or after from that reads
// as key k — its name and '=' after a space, or at the start of the keys —
// whatever Parse made of it (a key, value text, inside a skipped JSON or
// quoted value), or -1.
func keyText(line []byte, from, keys int, k Key) int {
	name := keyNames[k]
	for i := from; ; {
		j := bytes.Index(line[i:], []byte(name))
		if j == -1 {
			return -1
		}
		j += i // from >= keys: either j == keys or line[j-1] exists
		end := j + len(name)
		if end < len(line) && line[end] == '=' && (j == keys || line[j-1] == ' ') {
			return j
		}
		i = j + 1
	}
}

// PoolStretch returns the end (an index into Line) of the name stretch:
// the part of the line where the server's own userPoolId can be, and that
// no one but a user name can write into. See the rule above.
func (e *Event) PoolStretch() int {
	line, keys := e.Line, e.keysStart()
	first := keyText(line, keys, keys, UserAgent)
	if first == -1 {
		// No user agent: the stretch ends at the first key the server
		// writes after it.
		end := len(line)
		for k := UserAgent + 1; k < NumKeys; k++ {
			if i := keyText(line[:end], keys, keys, k); i != -1 {
				end = i
			}
		}
		return end
	}
	last := 0 // the last first occurrence of a block key (keys are past 0)
	for _, k := range poolBlock {
		i := keyText(line, keys, keys, k)
		if i == -1 {
			return first // not a full server block: trust nothing later
		}
		last = max(last, i)
	}
	if last < first {
		return first // the name stretch is clean
	}
	if i := keyText(line, last, keys, UserAgent); i != -1 {
		return i
	}
	return first
}

// AppendPoolCandidates appends to dst the distinct values that follow
// " userPoolId=" in the name stretch (see PoolStretch), in line order: the
// pools the line may belong to. Each value runs up to the next space and
// loses one pair of surrounding double quotes. The values alias Line. It
// is meant for the rare lines whose userPoolId is ambiguous.
func (e *Event) AppendPoolCandidates(dst [][]byte) [][]byte {
	line, keys := e.Line, e.keysStart()
	line = line[:e.PoolStretch()]
	n := len(dst)
	var seen map[string]struct{} // only for lines naming many pools
	for i := keyText(line, keys, keys, UserPoolID); i != -1; i = keyText(line, i+1, keys, UserPoolID) {
		v := line[i+len(keyNames[UserPoolID])+1:]
		if j := bytes.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		v = unquote(v)
		if len(v) == 0 {
			continue
		}
		if seen == nil && len(dst)-n >= 16 {
			seen = map[string]struct{}{}
			for _, c := range dst[n:] {
				seen[string(c)] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[string(v)]; dup {
				continue
			}
			seen[string(v)] = struct{}{}
		} else if containsBytes(dst[n:], v) {
			continue
		}
		dst = append(dst, v)
	}
	return dst
}

func containsBytes(list [][]byte, v []byte) bool {
	for _, c := range list {
		if bytes.Equal(c, v) {
			return true
		}
	}
	return false
}

// PoolInStretch reports whether the value Parse took for userPoolId (the
// first occurrence at a key position) lies in the name stretch. When it
// does not — the server's key was hidden in a skipped value or missing,
// and text that anyone can write supplied it — the value must not decide
// which pool sees the event. False when the line has no userPoolId.
func (e *Event) PoolInStretch() bool {
	v, ok := e.Get(UserPoolID)
	if !ok {
		return false
	}
	off, ok := offsetIn(e.Line, v)
	return ok && off < e.PoolStretch()
}

// offsetIn returns the index of v in line and true when v is a slice of
// line (as the values Parse stores are).
func offsetIn(line, v []byte) (int, bool) {
	off := cap(line) - cap(v)
	if off < 0 || off+len(v) > len(line) {
		return 0, false
	}
	if len(v) > 0 && &line[off] != &v[0] {
		return 0, false
	}
	return off, true
}
