package enrich

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// DefaultPhotoURL is Authing's default avatar, used when a user has none.
const DefaultPhotoURL = "https://files.authing.co/authing-console/default-user-avatar.png"

// Directory holds the lookups that are not on the line: user pool names and
// user photos. Immutable after LoadDirectory; safe for concurrent use.
type Directory struct {
	// UserPools maps userPoolId to the pool's display name (userPoolName).
	UserPools map[string]string `yaml:"userPools"`
	// Photos maps userId to the user's photoUrl.
	Photos map[string]string `yaml:"photos"`
	// DefaultPhotoURL is the photoUrl of users not in Photos.
	DefaultPhotoURL string `yaml:"defaultPhotoUrl"`
}

// LoadDirectory reads a directory file (YAML or JSON). An empty path gives
// an empty directory with the default photo.
func LoadDirectory(path string) (*Directory, error) {
	d := &Directory{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(d); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("directory %s: %w", path, err)
		}
	}
	if d.DefaultPhotoURL == "" {
		d.DefaultPhotoURL = DefaultPhotoURL
	}
	return d, nil
}
