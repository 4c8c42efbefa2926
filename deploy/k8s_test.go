package deploy

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// partitions is the partition count of footprint.events.v1 (deploy/local/stack.sh,
// deploy/compose): a consumer group cannot use more replicas than that.
const partitions = 6

// overlays are rendered by every test; a new overlay must be added here.
var overlays = []string{"local", "production"}

// scaledObject is the part of KEDA's keda.sh/v1alpha1 ScaledObject the manifests use,
// decoded strictly like the built-in kinds (KEDA's CRD is not a Go dependency here).
type scaledObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// rendered is one overlay's output, every object decoded into its typed form.
type rendered struct {
	deployments   []appsv1.Deployment
	services      []corev1.Service
	pdbs          []policyv1.PodDisruptionBudget
	policies      []networkingv1.NetworkPolicy
	configMaps    []corev1.ConfigMap
	secrets       []corev1.Secret
	namespaces    []corev1.Namespace
	scaledObjects []scaledObject
}

// render builds an overlay in process with kustomize (the same engine as `kubectl
// kustomize`). The tree is copied into memory and every git-ignored secrets.env is made
// from its committed .example with test values, so nothing secret is needed on disk.
func render(t *testing.T, overlay string) rendered {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	root := filepath.Join(repoRoot, "deploy", "k8s")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasSuffix(rel, "secrets.env") {
			return nil // a developer's real secrets are never read
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(rel, "secrets.env.example") {
			if err := mem.WriteFile("/k8s/"+strings.TrimSuffix(rel, ".example"), testSecrets(t, b)); err != nil {
				return err
			}
		}
		return mem.WriteFile("/k8s/"+rel, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/k8s/overlays/"+overlay)
	if err != nil {
		t.Fatalf("kustomize overlays/%s: %v", overlay, err)
	}
	var out rendered
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		decode(t, overlay, r.GetKind(), b, &out)
	}
	return out
}

// testSecrets fills every key of a secrets.env.example with a value that names it, and
// fails if the example itself carries a value (it must stay free of secrets).
func testSecrets(t *testing.T, example []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(example))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, _ := strings.Cut(line, "=")
		if value != "" {
			t.Errorf("secrets.env.example sets %s: the example must hold no values", key)
		}
		buf.WriteString(key + "=test-" + key + "\n")
	}
	return buf.Bytes()
}

// decode unmarshals one object strictly (unknown or misspelled fields fail) into the
// Kubernetes API type of its kind; a kind without a type here fails too.
func decode(t *testing.T, overlay, kind string, b []byte, out *rendered) {
	t.Helper()
	strict := func(v any) {
		if err := yaml.UnmarshalStrict(b, v); err != nil {
			t.Errorf("overlays/%s: %s does not decode strictly: %v\n%s", overlay, kind, err, b)
		}
	}
	switch kind {
	case "Deployment":
		var v appsv1.Deployment
		strict(&v)
		out.deployments = append(out.deployments, v)
	case "Service":
		var v corev1.Service
		strict(&v)
		out.services = append(out.services, v)
	case "PodDisruptionBudget":
		var v policyv1.PodDisruptionBudget
		strict(&v)
		out.pdbs = append(out.pdbs, v)
	case "NetworkPolicy":
		var v networkingv1.NetworkPolicy
		strict(&v)
		out.policies = append(out.policies, v)
	case "ConfigMap":
		var v corev1.ConfigMap
		strict(&v)
		out.configMaps = append(out.configMaps, v)
	case "Secret":
		var v corev1.Secret
		strict(&v)
		out.secrets = append(out.secrets, v)
	case "Namespace":
		var v corev1.Namespace
		strict(&v)
		out.namespaces = append(out.namespaces, v)
	case "ScaledObject":
		var v scaledObject
		strict(&v)
		out.scaledObjects = append(out.scaledObjects, v)
	default:
		t.Errorf("overlays/%s: no typed check for kind %s", overlay, kind)
	}
}

func TestOverlaysRenderEveryService(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		got := map[string]bool{}
		for _, d := range r.deployments {
			got[d.Name] = true
		}
		for _, s := range services {
			if !got[s.name] {
				t.Errorf("overlays/%s: no Deployment %s", o, s.name)
			}
		}
		if len(r.deployments) != len(services) {
			t.Errorf("overlays/%s: %d Deployments, want %d", o, len(r.deployments), len(services))
		}
	}
}

func TestDeploymentsProbesResourcesAndSecurity(t *testing.T) {
	for _, o := range overlays {
		for _, d := range render(t, o).deployments {
			where := "overlays/" + o + " " + d.Name
			pod := d.Spec.Template.Spec
			if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
				t.Errorf("%s: pod must set runAsNonRoot", where)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%s: %d containers, want 1", where, len(pod.Containers))
			}
			c := pod.Containers[0]
			checkProbe(t, where+" readiness", c.ReadinessProbe, "/readyz")
			checkProbe(t, where+" liveness", c.LivenessProbe, "/healthz")
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[r]; !ok {
					t.Errorf("%s: no %s request", where, r)
				}
			}
			if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
				t.Errorf("%s: no memory limit", where)
			}
			if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
				t.Errorf("%s: container must have a read-only root filesystem", where)
			}
			if !strings.HasPrefix(c.Image, "footprint/"+d.Name+":") {
				t.Errorf("%s: image %q is not footprint/%s with a tag", where, c.Image, d.Name)
			}
			s := serviceByName(t, d.Name)
			for _, p := range c.Ports {
				if s.ports[p.Name] != p.ContainerPort {
					t.Errorf("%s: port %s=%d, the service listens on %d", where, p.Name, p.ContainerPort, s.ports[p.Name])
				}
			}
			if len(c.Ports) != len(s.ports) {
				t.Errorf("%s: %d container ports, the service has %d", where, len(c.Ports), len(s.ports))
			}
		}
	}
}

func checkProbe(t *testing.T, where string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP probe", where)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "admin" {
		t.Errorf("%s: probe %s on port %s, want %s on admin", where, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// TestDeploymentEnv: every FOOTPRINT_* variable is one the service documents (and so
// reads), listen addresses bind 0.0.0.0 on the declared port, $(VAR) references point at
// variables defined before them (Kubernetes leaves unknown ones as literal text), and
// every configMapKeyRef/secretKeyRef names a key that exists.
func TestDeploymentEnv(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		cmKeys := map[string]map[string]string{}
		for _, cm := range r.configMaps {
			cmKeys[cm.Name] = cm.Data
		}
		for _, d := range r.deployments {
			where := "overlays/" + o + " " + d.Name
			s := serviceByName(t, d.Name)
			documented := documentedVars(t, s)
			defined := map[string]bool{}
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if strings.HasPrefix(e.Name, "FOOTPRINT_") && !documented[e.Name] {
					t.Errorf("%s: %s is not in %s/README.md", where, e.Name, s.dir)
				}
				for _, m := range varRef.FindAllStringSubmatch(e.Value, -1) {
					if !defined[m[1]] {
						t.Errorf("%s: %s refers to $(%s), not defined before it", where, e.Name, m[1])
					}
				}
				defined[e.Name] = true
				checkEnvSource(t, where, e, cmKeys, r.secrets, o)
				if isListenVar(e.Name) {
					checkListenAddr(t, where, e.Name, e.Value)
					checkListenPort(t, where, e, s)
				}
			}
		}
	}
}

func checkListenPort(t *testing.T, where string, e corev1.EnvVar, s service) {
	t.Helper()
	name := "admin"
	switch {
	case strings.HasSuffix(e.Name, "_GRPC_ADDR"):
		name = "grpc"
	case strings.HasSuffix(e.Name, "_HTTP_ADDR"):
		name = "http"
	}
	_, port, _ := strings.Cut(e.Value, ":")
	if p, err := strconv.Atoi(port); err != nil || int32(p) != s.ports[name] {
		t.Errorf("%s: %s=%q, the %s port is %d", where, e.Name, e.Value, name, s.ports[name])
	}
}

func checkEnvSource(t *testing.T, where string, e corev1.EnvVar, cmKeys map[string]map[string]string, secrets []corev1.Secret, overlay string) {
	t.Helper()
	lower := strings.ToLower(e.Name)
	sensitive := strings.Contains(lower, "password") || strings.Contains(lower, "secret") || strings.HasSuffix(lower, "_keys")
	if e.ValueFrom == nil {
		if sensitive {
			t.Errorf("%s: %s is a plain value; secrets come from a secretKeyRef", where, e.Name)
		}
		return
	}
	if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
		if _, ok := cmKeys[ref.Name][ref.Key]; !ok {
			t.Errorf("%s: %s reads ConfigMap %s key %s, which does not exist", where, e.Name, ref.Name, ref.Key)
		}
	}
	ref := e.ValueFrom.SecretKeyRef
	if ref == nil {
		return
	}
	if overlay == "production" {
		if len(secrets) != 0 {
			t.Errorf("%s: production renders a Secret; it must come from outside the manifests", where)
		}
		if ref.Name != "footprint-secrets" {
			t.Errorf("%s: %s reads Secret %s, want footprint-secrets", where, e.Name, ref.Name)
		}
		return
	}
	for _, sec := range secrets {
		if sec.Name == ref.Name {
			if _, ok := sec.Data[ref.Key]; !ok {
				t.Errorf("%s: %s reads Secret %s key %s, not in secrets.env.example", where, e.Name, ref.Name, ref.Key)
			}
			return
		}
	}
	t.Errorf("%s: %s reads Secret %s, which the overlay does not generate", where, e.Name, ref.Name)
}

// TestEveryDeploymentHasServiceAndPDB: each Deployment's pods are selected by exactly one
// PodDisruptionBudget and one Service whose ports exist on the container.
func TestEveryDeploymentHasServiceAndPDB(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		for _, d := range r.deployments {
			where := "overlays/" + o + " " + d.Name
			podLabels := labels.Set(d.Spec.Template.Labels)
			sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
			if err != nil || !sel.Matches(podLabels) {
				t.Errorf("%s: the selector does not match the pod template (%v)", where, err)
			}
			pdbs := 0
			for _, p := range r.pdbs {
				ps, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
				if err == nil && ps.Matches(podLabels) {
					pdbs++
				}
			}
			if pdbs != 1 {
				t.Errorf("%s: %d PodDisruptionBudgets select it, want 1", where, pdbs)
			}
			svcs := 0
			for _, s := range r.services {
				if labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) && len(s.Spec.Selector) > 0 {
					svcs++
					checkServicePorts(t, where, s, d.Spec.Template.Spec.Containers[0].Ports)
				}
			}
			if svcs != 1 {
				t.Errorf("%s: %d Services select it, want 1", where, svcs)
			}
		}
	}
}

func checkServicePorts(t *testing.T, where string, s corev1.Service, ports []corev1.ContainerPort) {
	t.Helper()
	for _, sp := range s.Spec.Ports {
		found := false
		for _, cp := range ports {
			found = found || (cp.Name == sp.TargetPort.String() && cp.ContainerPort == sp.Port)
		}
		if !found {
			t.Errorf("%s: Service port %s (%d -> %s) has no matching container port", where, sp.Name, sp.Port, sp.TargetPort.String())
		}
	}
}

// TestNetworkPolicies: a default deny covers every pod, and a rule open to any source
// (no from) exists only for the collector and the query service.
func TestNetworkPolicies(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		denyAll := false
		for _, p := range r.policies {
			sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Empty() && len(p.Spec.Ingress) == 0 {
				denyAll = true
			}
			for _, rule := range p.Spec.Ingress {
				if len(rule.From) != 0 {
					continue
				}
				for _, d := range r.deployments {
					if sel.Matches(labels.Set(d.Spec.Template.Labels)) && !publicServices[d.Name] {
						t.Errorf("overlays/%s: NetworkPolicy %s opens %s to any source", o, p.Name, d.Name)
					}
				}
			}
		}
		if !denyAll {
			t.Errorf("overlays/%s: no default-deny ingress NetworkPolicy", o)
		}
		for name := range publicServices {
			if !reachableFromAnywhere(t, r, name) {
				t.Errorf("overlays/%s: %s is not reachable from outside", o, name)
			}
		}
	}
}

func reachableFromAnywhere(t *testing.T, r rendered, name string) bool {
	t.Helper()
	for _, p := range r.policies {
		sel, _ := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if !sel.Matches(labels.Set{"app.kubernetes.io/name": name}) {
			continue
		}
		for _, rule := range p.Spec.Ingress {
			if len(rule.From) == 0 {
				return true
			}
		}
	}
	return false
}

// TestWriterAutoscaling: production scales both writers on their consumer group's lag,
// never beyond the partition count.
func TestWriterAutoscaling(t *testing.T) {
	r := render(t, "production")
	want := map[string]bool{"pg-writer": true, "ch-writer": true}
	deployments := map[string]appsv1.Deployment{}
	for _, d := range r.deployments {
		deployments[d.Name] = d
	}
	var config map[string]string
	for _, cm := range r.configMaps {
		if strings.HasPrefix(cm.Name, "footprint-config") {
			config = cm.Data
		}
	}
	for _, so := range r.scaledObjects {
		if so.APIVersion != "keda.sh/v1alpha1" {
			t.Errorf("ScaledObject %s: apiVersion %s", so.Metadata.Name, so.APIVersion)
		}
		target := so.Spec.ScaleTargetRef.Name
		d, ok := deployments[target]
		if !ok {
			t.Errorf("ScaledObject %s scales %q, not a Deployment", so.Metadata.Name, target)
			continue
		}
		delete(want, target)
		if so.Spec.MaxReplicaCount == nil || *so.Spec.MaxReplicaCount > partitions || *so.Spec.MaxReplicaCount < 2 {
			t.Errorf("ScaledObject %s: maxReplicaCount %s, want 2..%d", so.Metadata.Name, fmtInt32(so.Spec.MaxReplicaCount), partitions)
		}
		if len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "kafka" {
			t.Fatalf("ScaledObject %s: want one kafka trigger, got %+v", so.Metadata.Name, so.Spec.Triggers)
		}
		md := so.Spec.Triggers[0].Metadata
		if md["consumerGroup"] != envValue(d, "FOOTPRINT_WRITER_GROUP") || md["consumerGroup"] == "" {
			t.Errorf("ScaledObject %s: consumerGroup %q, the writer uses %q", so.Metadata.Name, md["consumerGroup"], envValue(d, "FOOTPRINT_WRITER_GROUP"))
		}
		// KEDA reads the lag itself: it must ask the brokers and topic the writers consume.
		for key, cmKey := range map[string]string{"bootstrapServers": "kafka-brokers", "topic": "kafka-topic"} {
			if md[key] != config[cmKey] {
				t.Errorf("ScaledObject %s: %s %q, the writers use %q", so.Metadata.Name, key, md[key], config[cmKey])
			}
		}
		if n, err := strconv.Atoi(md["lagThreshold"]); err != nil || n <= 0 {
			t.Errorf("ScaledObject %s: lagThreshold %q", so.Metadata.Name, md["lagThreshold"])
		}
	}
	for w := range want {
		t.Errorf("no ScaledObject for %s", w)
	}
}

func envValue(d appsv1.Deployment, name string) string {
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func fmtInt32(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}
