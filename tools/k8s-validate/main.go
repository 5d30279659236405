// k8s-validate checks a rendered Kubernetes manifest stream (`kubectl kustomize <overlay>`)
// against each object's own API types: core Kubernetes from k8s.io/api, CloudNativePG from
// github.com/cloudnative-pg/api, prometheus-operator from its pkg/apis/monitoring module, and
// Strimzi (whose API is published only as Java) through the io.strimzi:api model classes in
// strimzi/StrimziValidate.java.
//
// Every document is decoded strictly: an unknown (misspelled) field, a duplicate field, a value
// of the wrong type or an unparsable quantity fails, naming the object and the field path. A
// kind nobody here can validate is a failure too, never a pass.
//
// Usage:
//
//	kubectl kustomize k8s/overlays/production | k8s-validate \
//	    -strimzi-libs DIR -strimzi-main tools/k8s-validate/strimzi/StrimziValidate.java
//
// Exit status: 0 all valid, 1 problems found (one line each on stdout), 2 usage or I/O error.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const strimziGroup = "kafka.strimzi.io"

// document is one object of the stream, as JSON, with the name it is reported under.
type document struct {
	ref  string
	gvk  schema.GroupVersionKind
	json []byte
}

func main() {
	strimziLibs := flag.String("strimzi-libs", "",
		"directory of the io.strimzi:api jars and their dependencies (Maven's copy-dependencies)")
	strimziMain := flag.String("strimzi-main", "", "path of StrimziValidate.java")
	java := flag.String("java", "java", "the java launcher (17 or newer)")
	settingsDir := flag.String("settings", "", "instead of the type check, check that each "+
		"Homecoming container has the settings its binary requires; the binaries are in this "+
		"directory (or its services/<name>/, a CMake build directory)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] [manifest.yaml ...]  (stdin when none)\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()

	var input []byte
	var err error
	if flag.NArg() == 0 {
		input, err = io.ReadAll(os.Stdin)
	} else {
		for _, name := range flag.Args() {
			var data []byte
			data, err = os.ReadFile(name)
			if err != nil {
				break
			}
			input = append(input, []byte("\n---\n")...)
			input = append(input, data...)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}

	scheme, err := newScheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate: building the type registry:", err)
		os.Exit(2)
	}
	docs, problems := splitDocuments(input)
	if *settingsDir != "" {
		for _, problem := range problems {
			fmt.Println(problem)
		}
		status := runSettingsCheck(docs, *settingsDir)
		if len(problems) > 0 && status == 0 {
			status = 1
		}
		os.Exit(status)
	}
	var strimzi []document
	checked := 0
	for _, doc := range docs {
		if doc.gvk.Group == strimziGroup {
			strimzi = append(strimzi, doc)
			continue
		}
		problems = append(problems, validateTyped(scheme, doc)...)
		checked++
	}
	if len(strimzi) > 0 {
		found, err := validateStrimzi(*java, *strimziLibs, *strimziMain, strimzi)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%d Strimzi object(s) not validated: %v",
				len(strimzi), err))
		}
		problems = append(problems, found...)
		checked += len(strimzi)
	}
	for _, problem := range problems {
		fmt.Println(problem)
	}
	if len(problems) > 0 {
		fmt.Printf("k8s-validate: %d problem(s) in %d object(s)\n", len(problems), len(docs))
		os.Exit(1)
	}
	if len(docs) == 0 {
		fmt.Println("k8s-validate: no objects in the input")
		os.Exit(1)
	}
	fmt.Printf("k8s-validate: %d object(s) valid (%d Strimzi)\n", checked, len(strimzi))
}

// splitDocuments cuts the YAML stream into documents, converting each to JSON. Duplicate keys
// are a problem here already: YAMLToJSONStrict refuses them.
func splitDocuments(input []byte) ([]document, []string) {
	var docs []document
	var problems []string
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(input)))
	for index := 0; ; index++ {
		raw, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", index, err))
			break
		}
		if isBlank(raw) {
			continue
		}
		data, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", index, err))
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not an object: %v", index, err))
			continue
		}
		gv, err := schema.ParseGroupVersion(head.APIVersion)
		if err != nil || head.APIVersion == "" || head.Kind == "" {
			problems = append(problems,
				fmt.Sprintf("document %d: needs apiVersion and kind (got %q, %q)", index,
					head.APIVersion, head.Kind))
			continue
		}
		name := head.Metadata.Name
		if head.Metadata.Namespace != "" {
			name = head.Metadata.Namespace + "/" + name
		}
		docs = append(docs, document{
			ref:  fmt.Sprintf("%s %s %s", head.APIVersion, head.Kind, name),
			gvk:  gv.WithKind(head.Kind),
			json: data,
		})
	}
	return docs, problems
}

func isBlank(raw []byte) bool {
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

// validateTyped decodes the document strictly into its registered Go type, then runs the
// cheap semantic checks of checks.go.
func validateTyped(scheme *runtime.Scheme, doc document) []string {
	obj, err := scheme.New(doc.gvk)
	if err != nil {
		return []string{fmt.Sprintf("%s: no API types known for this apiVersion and kind "+
			"(nothing can validate it; add its API module to tools/k8s-validate)", doc.ref)}
	}
	strict, err := kjson.UnmarshalStrict(doc.json, obj,
		kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	var problems []string
	if err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", doc.ref, err))
	}
	for _, e := range strict {
		problems = append(problems, fmt.Sprintf("%s: %v", doc.ref, e))
	}
	if err == nil {
		for _, problem := range semanticChecks(obj) {
			problems = append(problems, fmt.Sprintf("%s: %s", doc.ref, problem))
		}
	}
	return problems
}

// validateStrimzi hands the Strimzi documents, one JSON line each, to StrimziValidate.java and
// returns the problems it prints.
func validateStrimzi(java, libs, mainSource string, docs []document) ([]string, error) {
	if libs == "" || mainSource == "" {
		return nil, fmt.Errorf("-strimzi-libs and -strimzi-main are needed to validate %s objects",
			strimziGroup)
	}
	jars, _ := filepath.Glob(filepath.Join(libs, "*.jar"))
	if len(jars) == 0 {
		return nil, fmt.Errorf("no jars in %s (resolve tools/k8s-validate/strimzi/pom.xml)", libs)
	}
	var input bytes.Buffer
	for _, doc := range docs {
		line, err := json.Marshal(map[string]any{
			"ref": doc.ref, "kind": doc.gvk.Kind, "apiVersion": doc.gvk.GroupVersion().String(),
			"object": json.RawMessage(doc.json)})
		if err != nil {
			return nil, err
		}
		input.Write(line)
		input.WriteByte('\n')
	}
	cmd := exec.Command(java, "-cp", filepath.Join(libs, "*"), mainSource)
	cmd.Stdin = &input
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	var problems []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.TrimSpace(line) != "" {
			problems = append(problems, line)
		}
	}
	if runErr != nil && len(problems) == 0 {
		return nil, fmt.Errorf("%s failed: %v: %s", mainSource, runErr, stderr.String())
	}
	sort.Strings(problems)
	return problems, nil
}
