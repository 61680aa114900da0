package schema

import "strings"

// Field is a document field, named by its dotted path in _source.
type Field string

// String returns the path, e.g. "codes.eventType".
func (f Field) String() string { return string(f) }

// Name returns the last element of the path ("eventType" for
// "codes.eventType"), the key written inside the parent object.
func (f Field) Name() string {
	s := string(f)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// The fields the encoder adds around the audit line's keys.
const (
	Timestamp    Field = "@timestamp" // event time, UTC, millisecond precision
	Version      Field = "@version"   // always "1" (Logstash's layout)
	ServerTime   Field = "timestamp"  // the time as the server wrote it
	Host         Field = "host"       // the log host
	Path         Field = "path"       // the file the line was read from
	FileDate     Field = "filedate"   // yyyy.MM.dd in the server's offset
	Message      Field = "message"    // the raw line
	PhotoURL     Field = "photoUrl"   // from the directory, or the default photo
	UserPoolName Field = "userPoolName"
	Tags         Field = "tags"  // TagInvalidUTF8, TagAmbiguousKeys
	Extra        Field = "extra" // keys the parser did not know (dynamic object)
)

// The audit line's keys, copied under the names the server writes (the
// parser's key names; a test in enrich checks they match).
const (
	LogID           Field = "logId"
	AppID           Field = "appId"
	UserName        Field = "userName"
	UserPoolID      Field = "userPoolId"
	UserID          Field = "userId"
	RequestID       Field = "requestId"
	RoleName        Field = "roleName"
	RoleCode        Field = "roleCode"
	RoleID          Field = "roleId"
	UserAgent       Field = "userAgent"
	ClientIP        Field = "clientIp"
	EventType       Field = "eventType"
	EventDetails    Field = "eventDetails"
	ResourceType    Field = "resourceType"
	ResourceName    Field = "resourceName"
	ResourceDetails Field = "resourceDetails"
	OperationType   Field = "operationType"
	OperationMode   Field = "operationMode"
	OriginValue     Field = "originValue"
	TargetValue     Field = "targetValue"
	EventResultCode Field = "eventResultCode"
	OperationParam  Field = "operationParam"
	EventResultMsg  Field = "eventResultMsg"
)

// Codes holds the raw codes of the translated keys, under their key names.
const (
	Codes                Field = "codes"
	CodesEventType       Field = "codes.eventType"
	CodesOperationType   Field = "codes.operationType"
	CodesResourceType    Field = "codes.resourceType"
	CodesResourceName    Field = "codes.resourceName"
	CodesRoleName        Field = "codes.roleName"
	CodesEventResultCode Field = "codes.eventResultCode"
	CodesOperationMode   Field = "codes.operationMode"
)

// AmbiguousKeys describes a line whose known keys were repeated or out of
// order (its values may be spoofed; README "Parsing rules").
const (
	AmbiguousKeys        Field = "ambiguousKeys"
	AmbiguousRepeated    Field = "ambiguousKeys.repeated"
	AmbiguousOutOfOrder  Field = "ambiguousKeys.outOfOrder"
	AmbiguousUserPoolIDs Field = "ambiguousKeys.userPoolIds" // the pools the line may belong to
)

// GeoIP is the client address's location, in the layout of Logstash's
// geoip filter (ECS compatibility off).
const (
	GeoIP              Field = "geoip"
	GeoIPIP            Field = "geoip.ip"
	GeoIPLocation      Field = "geoip.location" // geo_point {"lat":…,"lon":…}
	GeoIPLatitude      Field = "geoip.latitude"
	GeoIPLongitude     Field = "geoip.longitude"
	GeoIPDMACode       Field = "geoip.dma_code"
	GeoIPCountryCode2  Field = "geoip.country_code2"
	GeoIPCountryCode3  Field = "geoip.country_code3"
	GeoIPCountryName   Field = "geoip.country_name"
	GeoIPContinentCode Field = "geoip.continent_code"
	GeoIPRegionCode    Field = "geoip.region_code"
	GeoIPRegionName    Field = "geoip.region_name"
	GeoIPCityName      Field = "geoip.city_name"
	GeoIPTimezone      Field = "geoip.timezone"
	GeoIPPostalCode    Field = "geoip.postal_code"
)

// UA is the parsed user agent, in the layout of Logstash's useragent filter.
const (
	UA        Field = "ua"
	UAName    Field = "ua.name"
	UAMajor   Field = "ua.major"
	UAMinor   Field = "ua.minor"
	UAPatch   Field = "ua.patch"
	UABuild   Field = "ua.build"
	UAOS      Field = "ua.os"
	UAOSName  Field = "ua.os_name"
	UAOSMajor Field = "ua.os_major"
	UAOSMinor Field = "ua.os_minor"
	UADevice  Field = "ua.device"
)

// Tag values of the Tags field.
const (
	TagInvalidUTF8   = "_invalid_utf8"   // bad bytes were replaced by U+FFFD
	TagAmbiguousKeys = "_ambiguous_keys" // see AmbiguousKeys
)

// Leaves lists every field that holds a value (not an object of fields),
// in no particular order; Extra and GeoIPLocation count as leaves (a
// dynamic object and a geo_point).
var Leaves = []Field{
	Timestamp, Version, ServerTime, Host, Path, FileDate, Message, PhotoURL, UserPoolName, Tags, Extra,
	LogID, AppID, UserName, UserPoolID, UserID, RequestID, RoleName, RoleCode, RoleID, UserAgent,
	ClientIP, EventType, EventDetails, ResourceType, ResourceName, ResourceDetails, OperationType,
	OperationMode, OriginValue, TargetValue, EventResultCode, OperationParam, EventResultMsg,
	CodesEventType, CodesOperationType, CodesResourceType, CodesResourceName, CodesRoleName,
	CodesEventResultCode, CodesOperationMode,
	AmbiguousRepeated, AmbiguousOutOfOrder, AmbiguousUserPoolIDs,
	GeoIPIP, GeoIPLocation, GeoIPLatitude, GeoIPLongitude, GeoIPDMACode, GeoIPCountryCode2,
	GeoIPCountryCode3, GeoIPCountryName, GeoIPContinentCode, GeoIPRegionCode, GeoIPRegionName,
	GeoIPCityName, GeoIPTimezone, GeoIPPostalCode,
	UAName, UAMajor, UAMinor, UAPatch, UABuild, UAOS, UAOSName, UAOSMajor, UAOSMinor, UADevice,
}
