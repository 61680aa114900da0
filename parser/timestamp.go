package parser

import "time"

// parseTimestamp reads ISO-8601 with a numeric offset or Z, e.g.
// 2021-09-22T07:47:21.559-0000, 2021-09-22T15:47:21.559+08:00 or
// 2021-09-22T07:47:21Z. Fractions beyond milliseconds are truncated. It
// returns the instant in Unix milliseconds and the offset in seconds east of
// UTC. It does not allocate.
func parseTimestamp(b []byte) (ms int64, offset int32, ok bool) {
	// Shortest form: 2006-01-02T15:04:05Z (20 bytes).
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, false
	}
	i := 19
	milli := 0
	if b[i] == '.' || b[i] == ',' {
		i++
		start := i
		scale := 100
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if scale > 0 {
				milli += int(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start {
			return 0, 0, false
		}
	}
	if i >= len(b) {
		return 0, 0, false
	}
	switch rest := b[i:]; {
	case len(rest) == 1 && rest[0] == 'Z':
		offset = 0
	case (len(rest) == 5 || len(rest) == 6) && (rest[0] == '+' || rest[0] == '-'):
		oh, okh := digits(rest[1:3])
		mm := rest[3:]
		if len(rest) == 6 {
			if rest[3] != ':' {
				return 0, 0, false
			}
			mm = rest[4:]
		}
		om, okm := digits(mm)
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, 0, false
		}
		offset = int32(oh*3600 + om*60)
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, milli*int(time.Millisecond), time.UTC)
	return t.UnixMilli() - int64(offset)*1000, offset, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
