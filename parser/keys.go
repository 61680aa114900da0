package parser

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
