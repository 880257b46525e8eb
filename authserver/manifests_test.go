package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
)

// manifestDir holds the Kubernetes manifests for running several replicas.
const manifestDir = "../deploy/k8s"

// The parts of the manifests the test checks.
type (
	object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Resources  []string          `yaml:"resources"`
		Spec       spec              `yaml:"spec"`
	}
	spec struct {
		Replicas *int      `yaml:"replicas"`
		Selector yaml.Node `yaml:"selector"`
		Strategy struct {
			RollingUpdate struct {
				MaxUnavailable any `yaml:"maxUnavailable"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template     podTemplate `yaml:"template"`
		MinAvailable any         `yaml:"minAvailable"`
		Ports        []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	podTemplate struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot *bool `yaml:"runAsNonRoot"`
				RunAsUser    int   `yaml:"runAsUser"`
			} `yaml:"securityContext"`
			Containers []container `yaml:"containers"`
		} `yaml:"spec"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Args    []string `yaml:"args"`
		EnvFrom []struct {
			ConfigMapRef struct {
				Name string `yaml:"name"`
			} `yaml:"configMapRef"`
		} `yaml:"envFrom"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports          []containerPort `yaml:"ports"`
		ReadinessProbe *probe          `yaml:"readinessProbe"`
		LivenessProbe  *probe          `yaml:"livenessProbe"`
		StartupProbe   *probe          `yaml:"startupProbe"`
		Security       struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
	}
	containerPort struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
	}
)

// loadManifests decodes every document of every YAML file in manifestDir.
func loadManifests(t *testing.T) map[string][]object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no manifests in %s", manifestDir)
	}
	out := map[string][]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.APIVersion == "" || o.Kind == "" {
				t.Fatalf("%s: a document without apiVersion or kind", f)
			}
			if o.Kind != "Kustomization" && o.Metadata.Name == "" {
				t.Fatalf("%s: %s without a name", f, o.Kind)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], o)
		}
	}
	return out
}

// only returns the single object of kind in file.
func only(t *testing.T, m map[string][]object, file, kind string) object {
	t.Helper()
	objs := m[file]
	if len(objs) != 1 || objs[0].Kind != kind {
		t.Fatalf("%s: want one %s, got %d documents", file, kind, len(objs))
	}
	return objs[0]
}

// matchLabels returns the labels a selector requires: its matchLabels, or
// for a Service the selector itself.
func matchLabels(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	var sel map[string]any
	if err := n.Decode(&sel); err != nil {
		t.Fatal(err)
	}
	if ml, ok := sel["matchLabels"].(map[string]any); ok {
		sel = ml
	}
	out := map[string]string{}
	for k, v := range sel {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("selector %s: %v is not a label value", k, v)
		}
		out[k] = s
	}
	if len(out) == 0 {
		t.Fatal("empty selector")
	}
	return out
}

// selects reports whether every label of sel is on labels.
func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	kust := only(t, m, "kustomization.yaml", "Kustomization")
	dep := only(t, m, "deployment.yaml", "Deployment")
	svc := only(t, m, "service.yaml", "Service")
	pdb := only(t, m, "pdb.yaml", "PodDisruptionBudget")
	cm := only(t, m, "configmap.yaml", "ConfigMap")
	sec := only(t, m, "secret.yaml", "Secret")
	job := only(t, m, "migrate-job.yaml", "Job")

	t.Run("kustomization", func(t *testing.T) {
		for _, r := range kust.Resources {
			if _, ok := m[r]; !ok {
				t.Errorf("resource %s is not a manifest here", r)
			}
		}
		// The Secret and the migration Job are applied on their own.
		for f := range m {
			listed := slices.Contains(kust.Resources, f)
			if want := !slices.Contains([]string{"kustomization.yaml", "secret.yaml", "migrate-job.yaml"}, f); listed != want {
				t.Errorf("%s: listed in kustomization.yaml is %v, want %v", f, listed, want)
			}
		}
	})

	pod := dep.Spec.Template
	labels := pod.Metadata.Labels
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("deployment has %d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	t.Run("deployment", func(t *testing.T) {
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
			t.Errorf("replicas %v, want 2 or more", dep.Spec.Replicas)
		}
		if !selects(matchLabels(t, dep.Spec.Selector), labels) {
			t.Error("the deployment's selector does not match its pods")
		}
		if mu := dep.Spec.Strategy.RollingUpdate.MaxUnavailable; mu != 0 {
			t.Errorf("maxUnavailable %v, want 0", mu)
		}
		if len(c.Args) != 1 || c.Args[0] != "serve" {
			t.Errorf("args %q, want [serve]", c.Args)
		}
		ports := map[string]int{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
			if p == nil {
				t.Errorf("no %s probe", name)
				continue
			}
			want := map[string]string{"readiness": "/readyz", "liveness": "/healthz", "startup": "/healthz"}[name]
			if p.HTTPGet.Path != want {
				t.Errorf("%s probe on %q, want %q", name, p.HTTPGet.Path, want)
			}
			if _, ok := ports[p.HTTPGet.Port]; !ok {
				t.Errorf("%s probe on port %q, which the container does not name", name, p.HTTPGet.Port)
			}
		}
		sc := pod.Spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == 0 {
			t.Error("the pod may run as root")
		}
		cs := c.Security
		if cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem {
			t.Error("the root file system is writable")
		}
		if cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation {
			t.Error("privilege escalation is allowed")
		}
		if !slices.Contains(cs.Capabilities.Drop, "ALL") {
			t.Error("capabilities are not dropped")
		}
	})

	t.Run("service and disruption budget", func(t *testing.T) {
		if !selects(matchLabels(t, svc.Spec.Selector), labels) {
			t.Error("the service's selector does not match the pods")
		}
		for _, p := range svc.Spec.Ports {
			if !slices.ContainsFunc(c.Ports, func(cp containerPort) bool { return cp.Name == p.TargetPort }) {
				t.Errorf("service port %d targets %q, which the container does not name", p.Port, p.TargetPort)
			}
		}
		if !selects(matchLabels(t, pdb.Spec.Selector), labels) {
			t.Error("the disruption budget's selector does not match the pods")
		}
		if minAvail, ok := pdb.Spec.MinAvailable.(int); !ok || minAvail < 1 || minAvail >= *dep.Spec.Replicas {
			t.Errorf("minAvailable %v, want at least 1 and fewer than the replicas", pdb.Spec.MinAvailable)
		}
	})

	// The environment every replica gets must be a valid configuration
	// of the server, with the database from the Secret.
	env := func(c container) map[string]string {
		t.Helper()
		vars := map[string]string{}
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef.Name != cm.Metadata.Name {
				t.Fatalf("container %s reads ConfigMap %q, not %q", c.Name, from.ConfigMapRef.Name, cm.Metadata.Name)
			}
			maps.Copy(vars, cm.Data)
		}
		for _, e := range c.Env {
			ref := e.ValueFrom.SecretKeyRef
			switch {
			case ref.Name == "":
				vars[e.Name] = e.Value
			case ref.Name != sec.Metadata.Name:
				t.Fatalf("container %s reads Secret %q, not %q", c.Name, ref.Name, sec.Metadata.Name)
			default:
				v, ok := sec.StringData[ref.Key]
				if !ok {
					t.Fatalf("container %s reads key %q the Secret lacks", c.Name, ref.Key)
				}
				vars[e.Name] = v
			}
		}
		return vars
	}
	t.Run("settings", func(t *testing.T) {
		for _, ct := range []container{c, job.Spec.Template.Spec.Containers[0]} {
			vars := env(ct)
			fs := flag.NewFlagSet("authserver", flag.ContinueOnError)
			cfg := config.Defaults()
			config.Register(fs, &cfg)
			known := map[string]bool{}
			fs.VisitAll(func(f *flag.Flag) { known[config.EnvName(f.Name)] = true })
			for name := range vars {
				if !known[name] {
					t.Errorf("container %s: %s is not a setting of the server", ct.Name, name)
				}
			}
			if err := config.ApplyEnv(fs, func(k string) string { return vars[k] }); err != nil {
				t.Fatalf("container %s: %v", ct.Name, err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("container %s: invalid settings: %v", ct.Name, err)
			}
			if !strings.HasPrefix(cfg.DB, "postgres://") {
				t.Errorf("container %s: database %q is not PostgreSQL", ct.Name, cfg.DB)
			}
			if ct.Name != c.Name {
				continue
			}
			_, port, err := net.SplitHostPort(cfg.Addr)
			if err != nil || port != "9096" || c.Ports[0].ContainerPort != 9096 {
				t.Errorf("the server listens on %q, the container port is %d", cfg.Addr, c.Ports[0].ContainerPort)
			}
			if grace := time.Duration(pod.Spec.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.ShutdownDrain+cfg.ShutdownTimeout {
				t.Errorf("grace period %v, not longer than the shutdown drain %v plus timeout %v", grace, cfg.ShutdownDrain, cfg.ShutdownTimeout)
			}
		}
	})

	t.Run("migration job", func(t *testing.T) {
		jc := job.Spec.Template.Spec.Containers
		if len(jc) != 1 || jc[0].Image != c.Image || len(jc[0].Args) != 1 || jc[0].Args[0] != "migrate" {
			t.Fatalf("the job does not run 'migrate' with the server's image: %+v", jc)
		}
		sc := job.Spec.Template.Spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Error("the job may run as root")
		}
	})
}
