package parser

import (
	"iter"
	"math/bits"
	"strings"
)

// Key identifies one of the fields an Authing server writes, in the order it
// writes them.
type Key uint8

// The known keys, in the server's order.
const (
	LogID Key = iota
	AppID
	UserName
	UserPoolID
	UserID
	RequestID
	RoleName
	RoleCode
	RoleID
	UserAgent
	ClientIP
	EventType
	EventDetails
	ResourceType
	ResourceName
	ResourceDetails
	OperationType
	OperationMode
	OriginValue
	TargetValue
	EventResultCode
	OperationParam
	EventResultMsg

	// NumKeys is the number of known keys.
	NumKeys
)

// KeySets are uint32 bitmasks: a compile error here means NumKeys outgrew them.
const _ = uint(32 - NumKeys)

var keyNames = [NumKeys]string{
	"logId", "appId", "userName", "userPoolId", "userId", "requestId",
	"roleName", "roleCode", "roleId", "userAgent", "clientIp", "eventType",
	"eventDetails", "resourceType", "resourceName", "resourceDetails",
	"operationType", "operationMode", "originValue", "targetValue",
	"eventResultCode", "operationParam", "eventResultMsg",
}

// String returns the key as written on the line, e.g. "logId".
func (k Key) String() string {
	if k < NumKeys {
		return keyNames[k]
	}
	return "unknown"
}

// LookupKey returns the known key named name.
func LookupKey(name string) (Key, bool) {
	k := lookupKey([]byte(name))
	return k, k < NumKeys
}

// lookupKey returns NumKeys when name is not a known key. It is a switch on
// length and a byte compare: no map, no allocation.
func lookupKey(name []byte) Key {
	for k := Key(0); k < NumKeys; k++ {
		if len(keyNames[k]) == len(name) && keyNames[k] == string(name) {
			return k
		}
	}
	return NumKeys
}

// KeySet is a set of known keys, a bitmask indexed by Key. The zero value is
// the empty set. It is a plain value: copying it does not allocate.
type KeySet uint32

// Has reports whether k is in the set.
func (s KeySet) Has(k Key) bool { return k < NumKeys && s&(1<<k) != 0 }

// Len returns the number of keys in the set.
func (s KeySet) Len() int { return bits.OnesCount32(uint32(s)) }

// All yields the keys of the set in the server's order.
func (s KeySet) All() iter.Seq[Key] {
	return func(yield func(Key) bool) {
		for k := Key(0); k < NumKeys; k++ {
			if s.Has(k) && !yield(k) {
				return
			}
		}
	}
}

// String returns the key names in the server's order, comma-separated,
// e.g. "userPoolId,clientIp"; the empty set is "".
func (s KeySet) String() string {
	var b strings.Builder
	for k := range s.All() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(keyNames[k])
	}
	return b.String()
}
