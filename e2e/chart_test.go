package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// The Helm chart in deploy/helm/fastsafe, rendered by a real helm binary for
// each of its main value sets, its objects checked against one another, and
// the environment it gives each server run by the real servers.

// helmEnv names the helm binary; make test builds one and sets it. Without
// it the test skips, unless requireHelmEnv or CI is set.
const (
	helmEnv        = "FASTSAFE_HELM"
	requireHelmEnv = "FASTSAFE_REQUIRE_HELM"
)

const (
	chartDir     = "../deploy/helm/fastsafe"
	releaseName  = "fastsafe-test"
	releaseSpace = "fastsafe-ns"
	// The user every container runs as, that of the images.
	nonRootUser = 65532
)

// valueSet is one of the chart's main value sets.
type valueSet struct {
	name string
	// file is under the chart's ci/; empty renders the defaults.
	file string
	// existing are the Secrets the values name that the user creates
	// before installing: name → key → value.
	existing map[string]map[string]string
	// Expected shape: the authorization server's database and replicas,
	// and whether the optional objects are on.
	postgres       bool
	authReplicas   int
	ingress        bool
	networkPolicy  bool
	serviceMonitor bool
}

var chartValueSets = []valueSet{
	{name: "defaults", authReplicas: 1},
	{name: "sqlite", file: "sqlite-values.yaml", authReplicas: 1},
	{name: "postgres", file: "postgres-values.yaml", postgres: true, authReplicas: 3},
	{name: "full", file: "full-values.yaml", postgres: true, authReplicas: 2,
		ingress: true, networkPolicy: true, serviceMonitor: true,
		existing: map[string]map[string]string{
			"fastsafe-db": {"url": "postgres://fastsafe:pw@db.example.internal:5432/fastsafe?sslmode=verify-full"},
			"fastsafe-bootstrap": {
				"AUTH_BOOTSTRAP_PASSWORD":      "an admin password for the chart test",
				"AUTH_BOOTSTRAP_CLIENT_SECRET": "a-client-secret-of-more-than-32-characters",
			},
		}},
}

// The parts of Kubernetes objects the test reads.
type (
	object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name        string            `yaml:"name"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
		Spec yaml.Node         `yaml:"spec"`
	}
	labelSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	networkPeer struct {
		PodSelector       *labelSelector `yaml:"podSelector"`
		NamespaceSelector *labelSelector `yaml:"namespaceSelector"`
	}
	secretKeyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	workloadSpec struct {
		Replicas *int          `yaml:"replicas"`
		Selector labelSelector `yaml:"selector"`
		Strategy struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxUnavailable any `yaml:"maxUnavailable"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	podSpec struct {
		AutomountServiceAccountToken  *bool           `yaml:"automountServiceAccountToken"`
		TerminationGracePeriodSeconds *int            `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               securityContext `yaml:"securityContext"`
		InitContainers                []container     `yaml:"initContainers"`
		Containers                    []container     `yaml:"containers"`
		Volumes                       []struct {
			Name                  string `yaml:"name"`
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
		} `yaml:"volumes"`
	}
	securityContext struct {
		RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
		RunAsUser                *int64 `yaml:"runAsUser"`
		AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
		Privileged               *bool  `yaml:"privileged"`
		ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Add  []string `yaml:"add"`
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
		SeccompProfile struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Args    []string `yaml:"args"`
		Env     []envVar `yaml:"env"`
		EnvFrom []any    `yaml:"envFrom"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		StartupProbe   *probe `yaml:"startupProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext securityContext `yaml:"securityContext"`
		VolumeMounts    []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef     *secretKeyRef `yaml:"secretKeyRef"`
			ResourceFieldRef *struct {
				Resource string `yaml:"resource"`
			} `yaml:"resourceFieldRef"`
		} `yaml:"valueFrom"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	serviceSpec struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	pdbSpec struct {
		MaxUnavailable any           `yaml:"maxUnavailable"`
		MinAvailable   any           `yaml:"minAvailable"`
		Selector       labelSelector `yaml:"selector"`
	}
	ingressSpec struct {
		Rules []struct {
			Host string `yaml:"host"`
			HTTP struct {
				Paths []struct {
					Backend struct {
						Service struct {
							Name string `yaml:"name"`
							Port struct {
								Name   string `yaml:"name"`
								Number int    `yaml:"number"`
							} `yaml:"port"`
						} `yaml:"service"`
					} `yaml:"backend"`
				} `yaml:"paths"`
			} `yaml:"http"`
		} `yaml:"rules"`
		TLS []struct {
			Hosts []string `yaml:"hosts"`
		} `yaml:"tls"`
	}
	serviceMonitorSpec struct {
		Selector  labelSelector `yaml:"selector"`
		Endpoints []struct {
			Port string `yaml:"port"`
			Path string `yaml:"path"`
		} `yaml:"endpoints"`
	}
	networkPolicySpec struct {
		PodSelector labelSelector `yaml:"podSelector"`
		PolicyTypes []string      `yaml:"policyTypes"`
		Ingress     []struct {
			Ports []struct {
				Port any `yaml:"port"`
			} `yaml:"ports"`
			From []networkPeer `yaml:"from"`
		} `yaml:"ingress"`
	}
)

// rendered is the output of helm template.
type rendered struct {
	objects []object
}

// all returns the objects of a kind.
func (r rendered) all(kind string) []object {
	var out []object
	for _, o := range r.objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// find returns the object of a kind and name, or nil.
func (r rendered) find(kind, name string) *object {
	for i, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return &r.objects[i]
		}
	}
	return nil
}

// spec decodes an object's spec into v, failing the test on an error.
func spec[T any](t *testing.T, o object) T {
	t.Helper()
	var v T
	if err := o.Spec.Decode(&v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
	return v
}

// componentName is the name of a component's objects in the test release.
func componentName(component string) string {
	return releaseName + "-" + component
}

// helmTool runs a helm binary with its state in a temporary directory.
type helmTool struct {
	bin string
	env []string
}

func findHelm(t *testing.T) helmTool {
	t.Helper()
	bin := os.Getenv(helmEnv)
	if bin == "" {
		if os.Getenv(requireHelmEnv) != "" || os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: the chart must be tested here (make test builds helm and sets it)", helmEnv)
		}
		t.Skipf("%s is not set; make test builds helm and sets it", helmEnv)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v", helmEnv, err)
	}
	home := t.TempDir()
	env := append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "no-kubeconfig"),
	)
	return helmTool{bin: bin, env: env}
}

// run runs helm with args and returns its standard output and error.
func (h helmTool) run(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// valueArgs are the arguments that give helm a value set.
func valueArgs(vs valueSet) []string {
	if vs.file == "" {
		return nil
	}
	return []string{"--values", filepath.Join(chartDir, "ci", vs.file)}
}

// template renders the chart with args and decodes every object.
func (h helmTool) template(t *testing.T, args ...string) rendered {
	t.Helper()
	out, errOut, err := h.run(append([]string{"template", releaseName, chartDir, "--namespace", releaseSpace}, args...)...)
	if err != nil {
		t.Fatalf("helm template %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	var r rendered
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output: %v\n%s", err, out)
		}
		if o.Kind == "" && o.APIVersion == "" {
			continue // an empty document
		}
		if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
			t.Fatalf("an object without kind, apiVersion or name: %+v", o)
		}
		if r.find(o.Kind, o.Metadata.Name) != nil {
			t.Fatalf("two objects %s %s", o.Kind, o.Metadata.Name)
		}
		r.objects = append(r.objects, o)
	}
	return r
}

// settingNames returns the environment variables a server's help lists:
// its settings.
func settingNames(t *testing.T, bin string, helpArgs ...string) map[string]bool {
	t.Helper()
	out, err := exec.Command(bin, helpArgs...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(helpArgs, " "), err, out)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`\(env ([A-Z][A-Z0-9_]*),`).FindAllStringSubmatch(string(out), -1) {
		names[m[1]] = true
	}
	if len(names) < 5 {
		t.Fatalf("%s %s lists %d settings:\n%s", bin, strings.Join(helpArgs, " "), len(names), out)
	}
	return names
}

// goRuntimeVars are variables the Go runtime of both servers reads: fine in
// extraEnv although no setting has them.
var goRuntimeVars = []string{"GOMEMLIMIT", "GOMAXPROCS", "GOGC", "GODEBUG"}

// otelPrefix begins the standard OpenTelemetry variables that both servers
// read for traces (internal/tracesdk, and the SDK): fine in extraEnv too.
const otelPrefix = "OTEL_"

// TestHelmChart lints and renders the chart for each main value set, checks
// the objects, and runs the servers with the environment the chart gives
// them.
func TestHelmChart(t *testing.T) {
	h := findHelm(t)
	bins, err := harness.Build()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]map[string]bool{
		"authserver":     settingNames(t, bins.Auth, "help"),
		"resourceserver": settingNames(t, bins.Resource, "--help"),
	}
	if !known["authserver"]["AUTH_DB"] || !known["resourceserver"]["RS_JWKS_URL"] {
		t.Fatalf("the help of the servers does not list AUTH_DB and RS_JWKS_URL: %v", known)
	}

	for _, vs := range chartValueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			if out, errOut, err := h.run(append([]string{"lint", "--strict", chartDir}, valueArgs(vs)...)...); err != nil {
				t.Fatalf("helm lint: %v\n%s%s", err, out, errOut)
			}
			r := h.template(t, valueArgs(vs)...)
			c := chartCheck{t: t, vs: vs, r: r, known: known}
			c.workloads()
			c.authserver()
			c.disruptionBudgets()
			c.migration()
			c.services()
			c.optional()
			c.run(bins)
		})
	}
}

// chartCheck checks the objects of one value set.
type chartCheck struct {
	t     *testing.T
	vs    valueSet
	r     rendered
	known map[string]map[string]bool
}

// workload is a Deployment or Job with its decoded spec.
type workload struct {
	obj  object
	spec workloadSpec
}

func (c chartCheck) workloads() {
	t := c.t
	var n int
	for _, w := range c.allWorkloads() {
		n++
		name := w.obj.Kind + " " + w.obj.Metadata.Name
		pod := w.spec.Template.Spec
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted", name)
		}
		if w.obj.Kind == "Deployment" && !selects(w.spec.Selector.MatchLabels, w.spec.Template.Metadata.Labels) {
			t.Errorf("%s: its selector does not select its pods", name)
		}
		if len(pod.Containers) == 0 {
			t.Errorf("%s: no containers", name)
		}
		for _, ct := range slices.Concat(pod.InitContainers, pod.Containers) {
			checkContainerSecurity(t, name+" container "+ct.Name, pod.SecurityContext, ct)
		}
		if w.obj.Kind != "Deployment" {
			continue
		}
		for _, ct := range pod.Containers {
			checkProbes(t, name+" container "+ct.Name, ct)
		}
	}
	if want := 2 + btoi(c.vs.postgres); n != want {
		t.Errorf("%d Deployments and Jobs, want %d", n, want)
	}
}

// allWorkloads returns the Deployments and Jobs.
func (c chartCheck) allWorkloads() []workload {
	var out []workload
	for _, o := range slices.Concat(c.r.all("Deployment"), c.r.all("Job"), c.r.all("StatefulSet"), c.r.all("DaemonSet")) {
		out = append(out, workload{obj: o, spec: spec[workloadSpec](c.t, o)})
	}
	return out
}

// workload returns the Deployment or Job of a component.
func (c chartCheck) workload(kind, component string) workload {
	c.t.Helper()
	o := c.r.find(kind, componentName(component))
	if o == nil {
		c.t.Fatalf("no %s %s", kind, componentName(component))
	}
	return workload{obj: *o, spec: spec[workloadSpec](c.t, *o)}
}

// checkContainerSecurity checks that a container runs as the non-root user
// of the images, on a read-only root file system, without privileges,
// capabilities or escalation, with the runtime's seccomp profile, and with
// resource requests and limits.
func checkContainerSecurity(t *testing.T, name string, pod securityContext, ct container) {
	t.Helper()
	sc := ct.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot is not true", name)
	}
	if pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
		t.Errorf("%s: the pod's runAsNonRoot is not true", name)
	}
	user := pod.RunAsUser
	if sc.RunAsUser != nil {
		user = sc.RunAsUser
	}
	if user == nil || *user != nonRootUser {
		t.Errorf("%s: runs as user %v, want %d", name, user, nonRootUser)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: the root file system is writable", name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: privilege escalation is allowed", name)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", name)
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities drop %v and add %v, want ALL dropped and none added", name, sc.Capabilities.Drop, sc.Capabilities.Add)
	}
	seccomp := pod.SeccompProfile.Type
	if sc.SeccompProfile.Type != "" {
		seccomp = sc.SeccompProfile.Type
	}
	if seccomp != "RuntimeDefault" {
		t.Errorf("%s: seccomp profile %q, want RuntimeDefault", name, seccomp)
	}
	for _, r := range []string{"cpu", "memory"} {
		if ct.Resources.Requests[r] == "" || ct.Resources.Limits[r] == "" {
			t.Errorf("%s: %s request %q and limit %q, want both", name, r, ct.Resources.Requests[r], ct.Resources.Limits[r])
		}
	}
	if ct.Image == "" {
		t.Errorf("%s: no image", name)
	}
}

// checkProbes checks that a server is restarted on /healthz and routed to
// on /readyz, at a port the container names.
func checkProbes(t *testing.T, name string, ct container) {
	t.Helper()
	for _, p := range []struct {
		kind, path string
		probe      *probe
	}{
		{"liveness", "/healthz", ct.LivenessProbe},
		{"readiness", "/readyz", ct.ReadinessProbe},
		{"startup", "/healthz", ct.StartupProbe},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", name, p.kind)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: %s probe on %q, want %q", name, p.kind, p.probe.HTTPGet.Path, p.path)
		}
		if _, ok := containerPort(ct, p.probe.HTTPGet.Port); !ok {
			t.Errorf("%s: %s probe on port %v, which the container does not have", name, p.kind, p.probe.HTTPGet.Port)
		}
	}
}

// containerPort resolves a port, by name or number, to a port of ct.
func containerPort(ct container, port any) (int, bool) {
	for _, p := range ct.Ports {
		if p.Name != "" && p.Name == port || p.ContainerPort == port {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// authserver checks what the database decides: with SQLite, one pod, never
// two at once, on a volume that holds the database file; with PostgreSQL,
// a rolling upgrade that never lowers the ready pods, and the URL from a
// Secret.
func (c chartCheck) authserver() {
	t := c.t
	w := c.workload("Deployment", "authserver")
	ct := w.spec.Template.Spec.Containers[0]
	if w.spec.Replicas == nil || *w.spec.Replicas != c.vs.authReplicas {
		t.Errorf("%v replicas, want %d", w.spec.Replicas, c.vs.authReplicas)
	}
	if len(ct.Args) != 1 || ct.Args[0] != "serve" {
		t.Errorf("args %q, want [serve]", ct.Args)
	}
	db := c.envVar(ct, "AUTH_DB")
	if db == nil {
		t.Fatal("no AUTH_DB")
	}
	if !c.vs.postgres {
		if *w.spec.Replicas != 1 || w.spec.Strategy.Type != "Recreate" {
			t.Errorf("SQLite with %d replicas and strategy %q, want 1 and Recreate", *w.spec.Replicas, w.spec.Strategy.Type)
		}
		if db.ValueFrom != nil || !strings.HasPrefix(db.Value, "/") {
			t.Fatalf("AUTH_DB %+v, want a file path", db)
		}
		c.checkDataVolume(w, ct, path.Dir(db.Value))
		return
	}
	if w.spec.Strategy.Type != "RollingUpdate" || w.spec.Strategy.RollingUpdate.MaxUnavailable != 0 {
		t.Errorf("strategy %+v, want RollingUpdate with maxUnavailable 0", w.spec.Strategy)
	}
	if db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil {
		t.Errorf("AUTH_DB %+v is not from a Secret", db)
	} else if v := c.secretValue(*db.ValueFrom.SecretKeyRef); !strings.HasPrefix(v, "postgres://") {
		t.Errorf("AUTH_DB %q is not a postgres:// URL", v)
	}
	if len(c.r.all("PersistentVolumeClaim")) != 0 {
		t.Error("a PersistentVolumeClaim with PostgreSQL")
	}
}

// checkDataVolume checks that dir, where the SQLite file is, is the mount
// of the chart's PersistentVolumeClaim, kept after uninstall.
func (c chartCheck) checkDataVolume(w workload, ct container, dir string) {
	t := c.t
	var volume string
	for _, m := range ct.VolumeMounts {
		if m.MountPath == dir {
			volume = m.Name
		}
	}
	var claim string
	for _, v := range w.spec.Template.Spec.Volumes {
		if v.Name == volume && v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	pvc := c.r.find("PersistentVolumeClaim", claim)
	if volume == "" || pvc == nil {
		t.Fatalf("the database's directory %s is not on the chart's PersistentVolumeClaim (volume %q, claim %q)", dir, volume, claim)
	}
	if pvc.Metadata.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the database's PersistentVolumeClaim is deleted with the release")
	}
}

// envVar returns a container's variable, or nil.
func (c chartCheck) envVar(ct container, name string) *envVar {
	for i, e := range ct.Env {
		if e.Name == name {
			return &ct.Env[i]
		}
	}
	return nil
}

// secretValue reads a key of a Secret the chart renders, or of one the
// value set names as existing; it fails the test when there is neither.
func (c chartCheck) secretValue(ref secretKeyRef) string {
	c.t.Helper()
	if s := c.r.find("Secret", ref.Name); s != nil {
		v, ok := s.Data[ref.Key]
		if !ok {
			c.t.Fatalf("Secret %s has no key %s", ref.Name, ref.Key)
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			c.t.Fatalf("Secret %s key %s: %v", ref.Name, ref.Key, err)
		}
		return string(b)
	}
	v, ok := c.vs.existing[ref.Name][ref.Key]
	if !ok {
		c.t.Fatalf("Secret %s key %s is neither rendered nor one the values name", ref.Name, ref.Key)
	}
	return v
}

// disruptionBudgets checks that each server with more than one pod has a
// budget that selects them and lets at least one go, and that one pod has
// none, which would block every node drain.
func (c chartCheck) disruptionBudgets() {
	t := c.t
	for _, d := range c.r.all("Deployment") {
		w := spec[workloadSpec](t, d)
		var budgets []pdbSpec
		for _, p := range c.r.all("PodDisruptionBudget") {
			if s := spec[pdbSpec](t, p); selects(s.Selector.MatchLabels, w.Template.Metadata.Labels) {
				budgets = append(budgets, s)
			}
		}
		replicas := *w.Replicas
		switch {
		case replicas == 1 && len(budgets) != 0:
			t.Errorf("Deployment %s: one replica and a disruption budget", d.Metadata.Name)
		case replicas > 1 && len(budgets) != 1:
			t.Errorf("Deployment %s: %d replicas and %d disruption budgets, want 1", d.Metadata.Name, replicas, len(budgets))
		case replicas > 1:
			mu, ok := budgets[0].MaxUnavailable.(int)
			if !ok || mu < 1 || mu >= replicas || budgets[0].MinAvailable != nil {
				t.Errorf("Deployment %s: budget %+v, want maxUnavailable from 1 to %d", d.Metadata.Name, budgets[0], replicas-1)
			}
		}
	}
}

// migration checks that PostgreSQL comes with a pre-install and pre-upgrade
// Job that runs `authserver migrate` with the server's image and settings,
// reading its URL from a Secret that exists when the hook runs: one the
// user made, or a hook of its own that comes first.
func (c chartCheck) migration() {
	t := c.t
	jobs := c.r.all("Job")
	if !c.vs.postgres {
		if len(jobs) != 0 {
			t.Errorf("%d Jobs with SQLite, want none", len(jobs))
		}
		return
	}
	job := c.workload("Job", "migrate")
	hooks := strings.Split(job.obj.Metadata.Annotations["helm.sh/hook"], ",")
	if !slices.Contains(hooks, "pre-install") || !slices.Contains(hooks, "pre-upgrade") {
		t.Errorf("the migration Job runs at hooks %q, want pre-install and pre-upgrade", hooks)
	}
	server := c.workload("Deployment", "authserver").spec.Template.Spec.Containers[0]
	jc := job.spec.Template.Spec.Containers
	if len(jc) != 1 || jc[0].Image != server.Image || !slices.Equal(jc[0].Args, []string{"migrate"}) {
		t.Fatalf("the Job does not run 'migrate' with the server's image: %+v", jc)
	}
	for _, e := range jc[0].Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		s := c.r.find("Secret", ref.Name)
		if s == nil {
			if _, ok := c.vs.existing[ref.Name]; !ok {
				t.Errorf("the Job reads %s from Secret %s, which nothing makes", e.Name, ref.Name)
			}
			continue
		}
		weight := func(o object) int {
			n, _ := strconv.Atoi(o.Metadata.Annotations["helm.sh/hook-weight"])
			return n
		}
		if s.Metadata.Annotations["helm.sh/hook"] != job.obj.Metadata.Annotations["helm.sh/hook"] || weight(*s) >= weight(job.obj) {
			t.Errorf("the Job reads %s from Secret %s, which is not a hook made before it: on a first install it does not exist yet", e.Name, ref.Name)
		}
		c.secretValue(*ref)
	}
	if db := c.envVar(jc[0], "AUTH_DB"); db == nil || db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil ||
		!strings.HasPrefix(c.secretValue(*db.ValueFrom.SecretKeyRef), "postgres://") {
		t.Errorf("the Job's AUTH_DB %+v is not a postgres:// URL from a Secret", db)
	}
}

// services checks that each server has a Service selecting its pods, whose
// ports name the container's ports.
func (c chartCheck) services() {
	t := c.t
	for _, component := range []string{"authserver", "resourceserver"} {
		w := c.workload("Deployment", component)
		o := c.r.find("Service", componentName(component))
		if o == nil {
			t.Errorf("no Service %s", componentName(component))
			continue
		}
		s := spec[serviceSpec](t, *o)
		if !selects(s.Selector, w.spec.Template.Metadata.Labels) {
			t.Errorf("Service %s does not select the pods of %s", o.Metadata.Name, component)
		}
		if s.Ports[0].Name != "http" {
			t.Errorf("Service %s's first port is %q, want http", o.Metadata.Name, s.Ports[0].Name)
		}
		for _, p := range s.Ports {
			if _, ok := containerPort(w.spec.Template.Spec.Containers[0], p.TargetPort); !ok {
				t.Errorf("Service %s port %s targets %v, which the container does not have", o.Metadata.Name, p.Name, p.TargetPort)
			}
		}
	}
}

// servicePort resolves a Service's port, by name, to the port of the
// container of the component it selects.
func (c chartCheck) servicePort(service, port string) (component string, containerPortNumber int, ok bool) {
	o := c.r.find("Service", service)
	if o == nil {
		return "", 0, false
	}
	s := spec[serviceSpec](c.t, *o)
	for _, component := range []string{"authserver", "resourceserver"} {
		w := c.workload("Deployment", component)
		if !selects(s.Selector, w.spec.Template.Metadata.Labels) {
			continue
		}
		for _, p := range s.Ports {
			if p.Name == port {
				n, ok := containerPort(w.spec.Template.Spec.Containers[0], p.TargetPort)
				return component, n, ok
			}
		}
	}
	return "", 0, false
}

// optional checks the Ingress, ServiceMonitors and NetworkPolicies: there
// when the value set turns them on, and pointing at what exists.
func (c chartCheck) optional() {
	t := c.t
	count := func(kind string, want int) {
		if n := len(c.r.all(kind)); n != want {
			t.Errorf("%d %s objects, want %d", n, kind, want)
		}
	}
	count("Ingress", btoi(c.vs.ingress))
	count("ServiceMonitor", 2*btoi(c.vs.serviceMonitor))
	count("NetworkPolicy", 2*btoi(c.vs.networkPolicy))

	// The Ingress routes each host to a server's main port, never to
	// a metrics port.
	for _, o := range c.r.all("Ingress") {
		for _, rule := range spec[ingressSpec](t, o).Rules {
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b.Port.Name != "http" {
					t.Errorf("Ingress host %s goes to port %+v of %s, want http", rule.Host, b.Port, b.Name)
				}
				if _, _, ok := c.servicePort(b.Name, b.Port.Name); !ok {
					t.Errorf("Ingress host %s goes to %s port %+v, which does not reach a server", rule.Host, b.Name, b.Port)
				}
			}
		}
	}
	// Prometheus scrapes /metrics where the server serves it: its metrics
	// address (checked when the servers run).
	for _, o := range c.r.all("ServiceMonitor") {
		s := spec[serviceMonitorSpec](t, o)
		if o.APIVersion != "monitoring.coreos.com/v1" {
			t.Errorf("ServiceMonitor %s is %s", o.Metadata.Name, o.APIVersion)
		}
		svc := c.r.find("Service", o.Metadata.Name)
		if svc == nil || !selects(s.Selector.MatchLabels, svc.Metadata.Labels) {
			t.Errorf("ServiceMonitor %s does not select its Service", o.Metadata.Name)
			continue
		}
		for _, e := range s.Endpoints {
			if _, _, ok := c.servicePort(svc.Metadata.Name, e.Port); !ok || e.Path != "/metrics" {
				t.Errorf("ServiceMonitor %s scrapes %s on port %q, which does not reach a server", o.Metadata.Name, e.Path, e.Port)
			}
		}
	}
	// Each server's pods admit connections to their ports only, and the
	// authorization server those of the resource server.
	rs := c.workload("Deployment", "resourceserver")
	for _, o := range c.r.all("NetworkPolicy") {
		s := spec[networkPolicySpec](t, o)
		if !slices.Equal(s.PolicyTypes, []string{"Ingress"}) {
			t.Errorf("NetworkPolicy %s has policy types %v, want [Ingress]", o.Metadata.Name, s.PolicyTypes)
		}
		var selected []container
		for _, w := range c.allWorkloads() {
			if w.obj.Kind == "Deployment" && selects(s.PodSelector.MatchLabels, w.spec.Template.Metadata.Labels) {
				selected = append(selected, w.spec.Template.Spec.Containers[0])
			}
		}
		if len(selected) != 1 || len(s.PodSelector.MatchLabels) == 0 {
			t.Errorf("NetworkPolicy %s selects %d servers, want 1", o.Metadata.Name, len(selected))
			continue
		}
		var allowed, want []int
		rsReachesKeys := false
		for _, rule := range s.Ingress {
			if len(rule.Ports) == 0 {
				t.Errorf("NetworkPolicy %s has a rule open to every port", o.Metadata.Name)
			}
			for _, p := range rule.Ports {
				n, ok := containerPort(selected[0], p.Port)
				if !ok {
					t.Errorf("NetworkPolicy %s admits port %v, which the server does not have", o.Metadata.Name, p.Port)
				}
				allowed = append(allowed, n)
				if p.Port == "http" && admitsOwnPods(rule.From, rs.spec.Template.Metadata.Labels) {
					rsReachesKeys = true
				}
			}
		}
		if selected[0].Name == "authserver" && !rsReachesKeys {
			t.Errorf("NetworkPolicy %s keeps the resource server from the key set", o.Metadata.Name)
		}
		for _, p := range selected[0].Ports {
			want = append(want, p.ContainerPort)
		}
		slices.Sort(allowed)
		if !slices.Equal(allowed, want) {
			t.Errorf("NetworkPolicy %s admits ports %v, want the server's %v", o.Metadata.Name, allowed, want)
		}
	}
}

// environment resolves the variables of a container: plain values, keys of
// Secrets, and resource fields. Every name must be a setting of the server
// (or a variable of the Go runtime), and appear once.
func (c chartCheck) environment(component string, ct container) map[string]string {
	t := c.t
	t.Helper()
	if len(ct.EnvFrom) != 0 {
		t.Errorf("%s: envFrom hides which variables it sets", ct.Name)
	}
	vars := map[string]string{}
	for _, e := range ct.Env {
		if _, dup := vars[e.Name]; dup {
			t.Errorf("%s: %s is set twice", ct.Name, e.Name)
		}
		if !c.known[component][e.Name] && !slices.Contains(goRuntimeVars, e.Name) && !strings.HasPrefix(e.Name, otelPrefix) {
			t.Errorf("%s: %s is not a setting of the %s", ct.Name, e.Name, component)
		}
		switch {
		case e.ValueFrom == nil:
			vars[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			vars[e.Name] = c.secretValue(*e.ValueFrom.SecretKeyRef)
		case e.ValueFrom.ResourceFieldRef != nil:
			vars[e.Name] = resourceField(t, ct, e.ValueFrom.ResourceFieldRef.Resource)
		default:
			t.Fatalf("%s: %s comes from a source the test does not know", ct.Name, e.Name)
		}
	}
	return vars
}

// resourceField is the value Kubernetes gives a resourceFieldRef of
// limits.memory or requests.memory: bytes.
func resourceField(t *testing.T, ct container, field string) string {
	t.Helper()
	kind, resource, _ := strings.Cut(field, ".")
	q := map[string]map[string]string{"limits": ct.Resources.Limits, "requests": ct.Resources.Requests}[kind][resource]
	units := map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
	if resource == "memory" && len(q) > 2 {
		if u, ok := units[q[len(q)-2:]]; ok {
			if n, err := strconv.ParseInt(q[:len(q)-2], 10, 64); err == nil {
				return strconv.FormatInt(n*u, 10)
			}
		}
	}
	t.Fatalf("%s: resource field %s = %q: the test reads only memory in Ki, Mi or Gi", ct.Name, field, q)
	return ""
}

// listenPort is the port of a host:port setting.
func listenPort(t *testing.T, name, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil {
		t.Fatalf("%s %q is not host:port", name, addr)
	}
	return n
}

// run starts the real servers with the environment the chart gives them —
// but for the listen addresses, which are free loopback ones here, and the
// database, a new SQLite file here whatever the chart's — and checks that
// they start, answer their probes on the ports the probes name, and serve
// /metrics on the port the ServiceMonitor scrapes. With PostgreSQL, the
// migration Job's command runs with its environment too.
func (c chartCheck) run(bins harness.Binaries) {
	t := c.t
	authCt := c.workload("Deployment", "authserver").spec.Template.Spec.Containers[0]
	rsCt := c.workload("Deployment", "resourceserver").spec.Template.Spec.Containers[0]
	authEnv := c.environment("authserver", authCt)
	rsEnv := c.environment("resourceserver", rsCt)

	// The resource server expects the issuer the auth server puts in
	// tokens, and fetches the keys from the auth server's Service.
	if authEnv["AUTH_ISSUER"] != rsEnv["RS_ISSUER"] {
		t.Errorf("RS_ISSUER %q is not AUTH_ISSUER %q", rsEnv["RS_ISSUER"], authEnv["AUTH_ISSUER"])
	}
	jwks, err := url.Parse(rsEnv["RS_JWKS_URL"])
	if err != nil || jwks.Path != "/.well-known/jwks.json" {
		t.Fatalf("RS_JWKS_URL %q is not the auth server's key set", rsEnv["RS_JWKS_URL"])
	}
	if svc := componentName("authserver") + "." + releaseSpace + ".svc"; jwks.Hostname() != svc {
		t.Errorf("RS_JWKS_URL %q is not at the auth server's Service %s", jwks, svc)
	} else if _, port, ok := c.servicePort(componentName("authserver"), "http"); !ok || port != listenPort(t, "AUTH_ADDR", authEnv["AUTH_ADDR"]) {
		t.Errorf("the auth server's Service does not reach its AUTH_ADDR %q", authEnv["AUTH_ADDR"])
	}

	// Kubernetes waits terminationGracePeriodSeconds after SIGTERM: the
	// server must be done before.
	grace := time.Duration(*c.workload("Deployment", "authserver").spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	drain, err1 := time.ParseDuration(authEnv["AUTH_SHUTDOWN_DRAIN"])
	timeout, err2 := time.ParseDuration(authEnv["AUTH_SHUTDOWN_TIMEOUT"])
	if err1 != nil || err2 != nil || grace <= drain+timeout {
		t.Errorf("grace period %v, not longer than AUTH_SHUTDOWN_DRAIN %q plus AUTH_SHUTDOWN_TIMEOUT %q", grace, authEnv["AUTH_SHUTDOWN_DRAIN"], authEnv["AUTH_SHUTDOWN_TIMEOUT"])
	}

	// Addresses: the chart's ports, mapped to free loopback addresses.
	authMetrics, rsMetrics := harness.FreeAddr(t), harness.FreeAddr(t)
	authRun := maps.Clone(authEnv)
	delete(authRun, "AUTH_ADDR") // the harness's
	delete(authRun, "AUTH_DB")   // the harness's SQLite file
	if authEnv["AUTH_METRICS_ADDR"] != "" {
		authRun["AUTH_METRICS_ADDR"] = authMetrics
	}
	rsRun := maps.Clone(rsEnv)
	delete(rsRun, "RS_ADDR")
	if rsEnv["RS_METRICS_ADDR"] != "" {
		rsRun["RS_METRICS_ADDR"] = rsMetrics
	}

	// The settings first, with commands that check them and exit (2 on
	// invalid settings): `authserver migrate` on a new file, and
	// `resourceserver healthcheck` of an address where nothing listens.
	authCheck := maps.Clone(authRun)
	authCheck["AUTH_DB"] = filepath.Join(t.TempDir(), "settings.db")
	if code, out := runCommand(bins.Auth, authCheck, "migrate"); code != 0 {
		t.Fatalf("authserver migrate with the chart's settings: exit status %d\n%s", code, out)
	}
	rsCheck := maps.Clone(rsRun)
	rsCheck["RS_ADDR"] = harness.FreeAddr(t)
	if code, out := runCommand(bins.Resource, rsCheck, "healthcheck"); code != 1 {
		t.Fatalf("resourceserver healthcheck of a closed port with the chart's settings: exit status %d, want 1\n%s", code, out)
	}

	auth := harness.StartAuth(t, harness.AuthOptions{Env: authRun})

	rsRun["RS_JWKS_URL"] = auth.URL + jwks.Path
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: rsRun})

	for _, s := range []struct {
		component, url, metrics, addrVar, metricsVar string
		env                                          map[string]string
		ct                                           container
	}{
		{"authserver", auth.URL, authMetrics, "AUTH_ADDR", "AUTH_METRICS_ADDR", authEnv, authCt},
		{"resourceserver", rs.URL, rsMetrics, "RS_ADDR", "RS_METRICS_ADDR", rsEnv, rsCt},
	} {
		// port → where the server listens for it here.
		here := map[int]string{listenPort(t, s.addrVar, s.env[s.addrVar]): s.url}
		if s.env[s.metricsVar] != "" {
			here[listenPort(t, s.metricsVar, s.env[s.metricsVar])] = "http://" + s.metrics
		}
		for _, p := range []*probe{s.ct.LivenessProbe, s.ct.ReadinessProbe, s.ct.StartupProbe} {
			if p == nil || p.HTTPGet == nil {
				continue // reported by checkProbes
			}
			n, _ := containerPort(s.ct, p.HTTPGet.Port)
			expectOK(t, s.component+" probe", here[n], p.HTTPGet.Path)
		}
		for _, o := range c.r.all("ServiceMonitor") {
			if o.Metadata.Name != componentName(s.component) {
				continue
			}
			for _, e := range spec[serviceMonitorSpec](t, o).Endpoints {
				_, n, _ := c.servicePort(o.Metadata.Name, e.Port)
				expectOK(t, s.component+" ServiceMonitor", here[n], e.Path)
			}
		}
		// Every port of the container is one the server listens on.
		for _, p := range s.ct.Ports {
			if here[p.ContainerPort] == "" {
				t.Errorf("%s: container port %s %d is not where the server listens (%s, %s)", s.component, p.Name, p.ContainerPort, s.env[s.addrVar], s.env[s.metricsVar])
			}
		}
	}

	if c.vs.postgres {
		job := c.workload("Job", "migrate").spec.Template.Spec.Containers[0]
		jobEnv := c.environment("authserver", job)
		jobEnv["AUTH_DB"] = filepath.Join(t.TempDir(), "migrate.db")
		if code, out := runCommand(bins.Auth, jobEnv, job.Args...); code != 0 {
			t.Errorf("authserver %s with the Job's settings: exit status %d\n%s", strings.Join(job.Args, " "), code, out)
		}
	}
}

// runCommand runs bin with args and only the variables env (and PATH and
// HOME), and returns its exit status and output.
func runCommand(bin string, env map[string]string, args ...string) (int, string) {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		return -1, err.Error()
	}
}

// expectOK checks that base+path answers 200.
func expectOK(t *testing.T, what, base, path string) {
	t.Helper()
	if base == "" {
		t.Errorf("%s: %s is on a port the server does not listen on", what, path)
		return
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + path)
	if err != nil {
		t.Errorf("%s: GET %s: %v", what, path, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: GET %s%s: %s", what, base, path, resp.Status)
	}
}

// admitsOwnPods reports whether NetworkPolicy peers admit pods of the
// policy's namespace with these labels: no peers admit everyone, and a
// pod selector without a namespace selector those of its namespace it
// selects (all when empty).
func admitsOwnPods(from []networkPeer, labels map[string]string) bool {
	if len(from) == 0 {
		return true
	}
	for _, peer := range from {
		if peer.PodSelector != nil && peer.NamespaceSelector == nil &&
			(len(peer.PodSelector.MatchLabels) == 0 || selects(peer.PodSelector.MatchLabels, labels)) {
			return true
		}
	}
	return false
}

// selects reports whether every label of sel is on labels; an empty
// selector selects nothing here.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestHelmChartRefusesBadValues checks that values which cannot work fail
// the install with a message that says why, rather than install something
// broken.
func TestHelmChartRefusesBadValues(t *testing.T) {
	h := findHelm(t)
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"SQLite with two replicas", []string{"authserver.replicas=2"}, "SQLite serves one replica"},
		{"PostgreSQL without a URL", []string{"authserver.database.type=postgres"}, "neither authserver.database.url nor authserver.database.existingSecret"},
		{"an unknown database", []string{"authserver.database.type=mysql"}, "/authserver/database/type"},
		{"a misspelt value", []string{"authserver.replica=2"}, "additional properties 'replica'"},
		{"no resource limits", []string{"resourceserver.resources.limits=null"}, "missing property 'limits'"},
		{"a bcrypt cost below 4", []string{"authserver.bcryptCost=3"}, "/authserver/bcryptCost"},
		{"a variable the chart sets", []string{"resourceserver.extraEnv[0].name=RS_AUDIENCE", "resourceserver.extraEnv[0].value=x"}, "resourceserver.extraEnv sets RS_AUDIENCE"},
		{"metrics on the main port", []string{"authserver.metricsPort=9096"}, "metricsPort is the same as authserver.port"},
		{"an Ingress without hosts", []string{"ingress.enabled=true"}, "neither ingress.authserver.host nor ingress.resourceserver.host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"template", releaseName, chartDir}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			_, errOut, err := h.run(args...)
			if err == nil || !strings.Contains(errOut, tc.want) {
				t.Errorf("helm template --set %v: %v, want an error with %q:\n%s", tc.set, err, tc.want, errOut)
			}
		})
	}
}

// TestHelmChartValuesDocumented checks that every value of values.yaml is
// in the chart's README.md and in values.schema.json.
func TestHelmChartValuesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, v map[string]any, schema map[string]any)
	walk = func(prefix string, v map[string]any, schema map[string]any) {
		for k, val := range v {
			key := prefix + k
			props, _ := schema["properties"].(map[string]any)
			sub, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("values.schema.json lacks %s", key)
			}
			// Resources are documented whole.
			if m, ok := val.(map[string]any); ok && len(m) > 0 && k != "resources" {
				walk(key+".", m, sub)
				continue
			}
			if !strings.Contains(string(readme), "`"+key+"`") {
				t.Errorf("README.md does not document %s", key)
			}
		}
	}
	walk("", values, schema)
}
