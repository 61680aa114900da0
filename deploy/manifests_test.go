package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The manifests' parts these tests look at.
type securityContext struct {
	RunAsNonRoot             *bool   `yaml:"runAsNonRoot"`
	RunAsUser                *int    `yaml:"runAsUser"`
	SupplementalGroups       []int   `yaml:"supplementalGroups"`
	ReadOnlyRootFilesystem   bool    `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool   `yaml:"allowPrivilegeEscalation"`
	Capabilities             *capSet `yaml:"capabilities"`
}

type capSet struct {
	Drop []string `yaml:"drop"`
}

type container struct {
	Name            string           `yaml:"name"`
	Image           string           `yaml:"image"`
	Args            []string         `yaml:"args"`
	SecurityContext *securityContext `yaml:"securityContext"`
	ReadinessProbe  map[string]any   `yaml:"readinessProbe"`
	LivenessProbe   map[string]any   `yaml:"livenessProbe"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type manifest struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Spec struct {
				SecurityContext securityContext `yaml:"securityContext"`
				Containers      []container     `yaml:"containers"`
				Volumes         []struct {
					Name     string         `yaml:"name"`
					HostPath map[string]any `yaml:"hostPath"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readManifests(t *testing.T, path string) map[string]manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]manifest{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var m manifest
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[m.Kind] = m
	}
}

// imageUser is the USER of the Containerfile.
func imageUser(t *testing.T) string {
	b, err := os.ReadFile("../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Containerfile has no numeric USER")
	}
	return string(m[1])
}

// checkHardened: the pod runs as the image's non-root user, the container
// with a read-only root filesystem, no privilege escalation, no
// capabilities, and the image make image tags.
func checkHardened(t *testing.T, what string, m manifest) container {
	t.Helper()
	ps := m.Spec.Template.Spec.SecurityContext
	if ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil {
		t.Errorf("%s: not runAsNonRoot with a runAsUser", what)
	} else if got := *ps.RunAsUser; strings.TrimSpace(imageUser(t)) != itoa(got) {
		t.Errorf("%s: runAsUser %d is not the image's user %s", what, got, imageUser(t))
	}
	if len(m.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container", what)
	}
	c := m.Spec.Template.Spec.Containers[0]
	if c.Image != "ingestd:latest" {
		t.Errorf("%s: image %q is not what make image tags (ingestd:latest)", what, c.Image)
	}
	sc := c.SecurityContext
	if sc == nil || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("%s: container not hardened: %+v", what, sc)
	}
	if c.LivenessProbe == nil {
		t.Errorf("%s: no liveness probe", what)
	}
	return c
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDaemonSet(t *testing.T) {
	ds, ok := readManifests(t, "daemonset.yaml")["DaemonSet"]
	if !ok {
		t.Fatal("no DaemonSet")
	}
	c := checkHardened(t, "DaemonSet", ds)
	if len(ds.Spec.Template.Spec.SecurityContext.SupplementalGroups) == 0 {
		t.Error("DaemonSet: no supplemental group to read the logs with")
	}
	mounts := map[string]bool{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = vm.ReadOnly
		if vm.SubPath != "" {
			t.Errorf("mount %s uses subPath: a renamed file would not be seen", vm.MountPath)
		}
	}
	for path, ro := range map[string]bool{"/var/log/authing-server": true, "/usr/share/GeoIP": true, "/var/lib/ingestd": false, "/etc/ingestd": true} {
		if got, ok := mounts[path]; !ok || got != ro {
			t.Errorf("mount %s: present %v, readOnly %v; want readOnly %v", path, ok, got, ro)
		}
	}
}

func TestServeDeployment(t *testing.T) {
	ms := readManifests(t, "serve.yaml")
	d, ok := ms["Deployment"]
	if !ok {
		t.Fatal("no Deployment")
	}
	if _, ok := ms["Service"]; !ok {
		t.Fatal("no Service")
	}
	c := checkHardened(t, "serve Deployment", d)
	if c.ReadinessProbe == nil {
		t.Error("serve: no readiness probe")
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("serve: args %v", c.Args)
	}
}
