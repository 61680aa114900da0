package enrich

// tables is the dictionary and directory in use: an immutable snapshot
// that SetTables replaces whole, so that each document is built from one
// dictionary and one directory, never from half of a reload.
type tables struct {
	dict    *Dictionary
	dir     *Directory
	photoJS []byte // dir.DefaultPhotoURL as a JSON string
}

func newTables(d *Dictionary, dir *Directory) *tables {
	if d == nil {
		d = &Dictionary{}
	}
	if dir == nil {
		dir = &Directory{DefaultPhotoURL: DefaultPhotoURL}
	}
	return &tables{dict: d, dir: dir, photoJS: appendStr(nil, dir.DefaultPhotoURL)}
}

// SetTables puts a new dictionary and directory in use (nil ones as in
// New). Documents being built go on with the tables they started with;
// later ones use the new tables. Safe for concurrent use.
func (e *Enricher) SetTables(d *Dictionary, dir *Directory) {
	e.tables.Store(newTables(d, dir))
}

// GeoIP returns the database handle, or nil without one (to watch it for
// replacements).
func (e *Enricher) GeoIP() *GeoIP { return e.cfg.GeoIP }
