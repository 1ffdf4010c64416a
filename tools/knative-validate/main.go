// knative-validate runs Knative Serving's own defaulting and validation on the Serving objects of
// YAML files, the way Knative's webhook admits a create (cmd/webhook/main.go and
// knative.dev/pkg/webhook/resourcesemantics/{defaulting,validation} of knative/serving v1.4.0):
// decode with unknown fields disallowed, SetDefaults, then Validate, within a create, with the
// config-defaults/config-features/config-autoscaler ConfigMaps in the context.
//
// It is compiled as a package of the knative/serving module (scripts/build-upstream.sh), so it
// links the same code as the webhook. Not run: the webhook's extra callbacks (a dry-run pod
// create against the API server), which need a cluster.
//
// Usage: knative-validate [--config-dir DIR] FILE...
// Prints one line per rejected object, `<Kind>/<name>: <Knative's message>`, and exits 1 if any
// object was rejected, 2 if a file could not be read; objects of other kinds are skipped.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"knative.dev/pkg/apis"
	webhookjson "knative.dev/pkg/webhook/json"
	"knative.dev/serving/pkg/apis/config"
	v1 "knative.dev/serving/pkg/apis/serving/v1"
	"knative.dev/serving/pkg/apis/serving/v1alpha1"
	"knative.dev/serving/pkg/apis/serving/v1beta1"
	asconfig "knative.dev/serving/pkg/autoscaler/config"
)

// servingObject is what the webhook needs of a resource: defaulting and validation.
type servingObject interface {
	apis.Defaultable
	apis.Validatable
}

// The kinds Knative's webhook defaults and validates that a deployer writes.
var kinds = map[schema.GroupVersionKind]func() servingObject{
	v1.SchemeGroupVersion.WithKind("Service"):             func() servingObject { return &v1.Service{} },
	v1.SchemeGroupVersion.WithKind("Configuration"):       func() servingObject { return &v1.Configuration{} },
	v1.SchemeGroupVersion.WithKind("Route"):               func() servingObject { return &v1.Route{} },
	v1beta1.SchemeGroupVersion.WithKind("DomainMapping"):  func() servingObject { return &v1beta1.DomainMapping{} },
	v1alpha1.SchemeGroupVersion.WithKind("DomainMapping"): func() servingObject { return &v1alpha1.DomainMapping{} },
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
}

func readConfigMap(dir, file string) (*corev1.ConfigMap, error) {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	cm := &corev1.ConfigMap{}
	if err := yaml.Unmarshal(raw, cm); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cm, nil
}

// loadConfig parses Knative's ConfigMaps as the webhook's config store does (config/store.go).
func loadConfig(dir string) (*config.Config, error) {
	defaultsCM, err := readConfigMap(dir, "defaults.yaml")
	if err != nil {
		return nil, err
	}
	featuresCM, err := readConfigMap(dir, "features.yaml")
	if err != nil {
		return nil, err
	}
	autoscalerCM, err := readConfigMap(dir, "autoscaler.yaml")
	if err != nil {
		return nil, err
	}
	cfg := &config.Config{}
	if cfg.Defaults, err = config.NewDefaultsConfigFromConfigMap(defaultsCM); err != nil {
		return nil, fmt.Errorf("config-defaults: %w", err)
	}
	if cfg.Features, err = config.NewFeaturesConfigFromConfigMap(featuresCM); err != nil {
		return nil, fmt.Errorf("config-features: %w", err)
	}
	if cfg.Autoscaler, err = asconfig.NewConfigFromConfigMap(autoscalerCM); err != nil {
		return nil, fmt.Errorf("config-autoscaler: %w", err)
	}
	return cfg, nil
}

// admit returns Knative's message for a rejected object, or "" when the object is admitted.
func admit(ctx context.Context, doc []byte, newObject func() servingObject) string {
	object := newObject()
	if err := webhookjson.Decode(doc, object, true); err != nil {
		return "cannot decode incoming new object: " + err.Error()
	}
	ctx = apis.WithinCreate(ctx)
	ctx = apis.WithUserInfo(ctx, &authenticationv1.UserInfo{Username: "sk8s-knative-validate"})
	object.SetDefaults(ctx)
	if err := object.Validate(ctx); err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return ""
}

func validateFile(ctx context.Context, path string, out io.Writer) (rejected int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	decoder := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for index := 0; ; index++ {
		chunk, err := decoder.Read()
		if errors.Is(err, io.EOF) {
			return rejected, nil
		}
		if err != nil {
			return rejected, fmt.Errorf("%s: document %d: %w", path, index, err)
		}
		doc, err := yaml.YAMLToJSON(chunk)
		if err != nil {
			return rejected, fmt.Errorf("%s: document %d: %w", path, index, err)
		}
		if bytes.Equal(bytes.TrimSpace(doc), []byte("null")) {
			continue
		}
		var meta typeMeta
		if err := webhookjson.Unmarshal(doc, &meta); err != nil {
			return rejected, fmt.Errorf("%s: document %d: %w", path, index, err)
		}
		newObject, ok := kinds[schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)]
		if !ok {
			continue
		}
		if message := admit(ctx, doc, newObject); message != "" {
			name := meta.Metadata.Name
			if name == "" {
				name = meta.Metadata.GenerateName
			}
			fmt.Fprintf(out, "%s/%s: %s\n", meta.Kind, name, message)
			rejected++
		}
	}
}

func main() {
	configDir := flag.String("config-dir", os.Getenv("SK8S_KNATIVE_CONFIG"),
		"directory with Knative's defaults.yaml, features.yaml and autoscaler.yaml (config/core/configmaps)")
	flag.Parse()
	if *configDir == "" {
		exe, _ := os.Executable()
		*configDir = filepath.Join(filepath.Dir(exe), "..", "knative-config")
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: knative-validate [--config-dir DIR] FILE...")
		os.Exit(2)
	}
	cfg, err := loadConfig(*configDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "knative-validate: reading Knative's config: %v\n", err)
		os.Exit(2)
	}
	ctx := config.ToContext(context.Background(), cfg)
	total := 0
	for _, path := range flag.Args() {
		rejected, err := validateFile(ctx, path, os.Stdout)
		total += rejected
		if err != nil {
			fmt.Fprintf(os.Stderr, "knative-validate: %v\n", err)
			os.Exit(2)
		}
	}
	if total > 0 {
		os.Exit(1)
	}
}
