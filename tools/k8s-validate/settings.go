package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// The server binaries whose containers the settings check looks into. A container runs one
// when its image's last path component (before the tag) is the binary's name.
var homecomingBinaries = []string{"membership", "events", "volunteering", "notifications", "edge"}

// Tools run from the tools image (deploy/images): a container runs one when its image is
// `tools` and its command is the binary (build/tools/<name>/<name>).
var homecomingTools = []string{"hc-service-tokens"}

// workload is a pod template the settings check looks into: a Deployment's, a Job's or a
// CronJob's.
type workload struct {
	kind, namespace, name string
	pod                   *corev1.PodSpec
}

type setting struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

// listSettings runs `<binary> --list-settings` (the list comes from the code that reads the
// settings, never from a copy here).
func listSettings(binary string) ([]setting, error) {
	cmd := exec.Command(binary, "--list-settings")
	cmd.Env = []string{} // the list must not depend on this machine's environment
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s --list-settings: %v: %s", binary, err, stderr.String())
	}
	// The binary says on stderr when its reading stopped at a check that the defaults fail
	// (the edge's production profile refuses the default HS256, after its last read): shown,
	// not fatal, since the required flags were already recorded.
	if note := strings.TrimSpace(stderr.String()); note != "" {
		fmt.Fprintf(os.Stderr, "note: %s: %s\n", filepath.Base(binary), note)
	}
	var settings []setting
	scanner := bufio.NewScanner(&stdout)
	for scanner.Scan() {
		var s setting
		if err := json.Unmarshal(scanner.Bytes(), &s); err != nil || s.Name == "" {
			return nil, fmt.Errorf("%s --list-settings: bad line %q", binary, scanner.Text())
		}
		settings = append(settings, s)
	}
	if len(settings) == 0 {
		return nil, fmt.Errorf("%s --list-settings printed no settings", binary)
	}
	return settings, nil
}

// checkSettings finds every Deployment, Job and CronJob container running a Homecoming binary in the rendered
// stream and checks that each setting its binary requires is set, and that every *_FILE
// setting it is given names a path inside one of the container's volume mounts.
func checkSettings(docs []document, binDir string) []string {
	configMaps := map[string]map[string]string{} // namespace/name -> data
	secrets := map[string]map[string]bool{}      // namespace/name -> keys
	var workloads []workload
	for _, doc := range docs {
		switch doc.gvk.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if json.Unmarshal(doc.json, &cm) == nil {
				configMaps[cm.Namespace+"/"+cm.Name] = cm.Data
			}
		case "Secret":
			var secret corev1.Secret
			if json.Unmarshal(doc.json, &secret) == nil {
				keys := map[string]bool{}
				for key := range secret.Data {
					keys[key] = true
				}
				for key := range secret.StringData {
					keys[key] = true
				}
				secrets[secret.Namespace+"/"+secret.Name] = keys
			}
		case "Deployment":
			var deployment appsv1.Deployment
			if json.Unmarshal(doc.json, &deployment) == nil {
				workloads = append(workloads, workload{"Deployment", deployment.Namespace,
					deployment.Name, &deployment.Spec.Template.Spec})
			}
		case "Job":
			var job batchv1.Job
			if json.Unmarshal(doc.json, &job) == nil {
				workloads = append(workloads, workload{"Job", job.Namespace, job.Name,
					&job.Spec.Template.Spec})
			}
		case "CronJob":
			var cronJob batchv1.CronJob
			if json.Unmarshal(doc.json, &cronJob) == nil {
				workloads = append(workloads, workload{"CronJob", cronJob.Namespace, cronJob.Name,
					&cronJob.Spec.JobTemplate.Spec.Template.Spec})
			}
		}
	}

	var problems []string
	lists := map[string][]setting{}
	checkedContainers := 0
	for _, w := range workloads {
		pod := w.pod
		for _, container := range pod.Containers {
			binary := binaryOf(container)
			if binary == "" {
				continue
			}
			ref := fmt.Sprintf("%s %s/%s container %s (%s)", w.kind, w.namespace, w.name,
				container.Name, binary)
			list, ok := lists[binary]
			if !ok {
				var err error
				list, err = listSettings(binaryPath(binDir, binary))
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", ref, err))
					continue
				}
				lists[binary] = list
			}
			checkedContainers++
			env := resolveEnv(w.namespace, container, configMaps, secrets)
			for _, s := range list {
				value, set := env[s.Name]
				if s.Required && !set {
					problems = append(problems, fmt.Sprintf(
						"%s: required setting %s is not set (env value, valueFrom, or envFrom a "+
							"ConfigMap/Secret in the rendered output with that key)", ref, s.Name))
				}
				if strings.HasSuffix(s.Name, "_FILE") && set && value != "" {
					if problem := checkMounted(pod, container, value); problem != "" {
						problems = append(problems, fmt.Sprintf("%s: %s=%s %s", ref, s.Name, value, problem))
					}
				}
			}
		}
	}
	if checkedContainers == 0 && len(problems) == 0 {
		problems = append(problems, "no Deployment, Job or CronJob runs a Homecoming binary ("+
			strings.Join(append(homecomingBinaries, homecomingTools...), ", ")+"): nothing was checked")
	}
	sort.Strings(problems)
	return problems
}

// binaryPath finds a binary in a CMake build directory (services/<name>/<name>,
// tools/<name>/<name>) or in a directory holding the binaries themselves.
func binaryPath(dir, binary string) string {
	for _, folder := range []string{"services", "tools"} {
		inBuild := filepath.Join(dir, folder, binary, binary)
		if _, err := os.Stat(inBuild); err == nil {
			return inBuild
		}
	}
	return filepath.Join(dir, binary)
}

func binaryOf(container corev1.Container) string {
	name := imageName(container.Image)
	if name == "tools" && len(container.Command) > 0 {
		for _, tool := range homecomingTools {
			if path.Base(container.Command[0]) == tool {
				return tool
			}
		}
		return ""
	}
	for _, binary := range homecomingBinaries {
		if name == binary {
			return binary
		}
	}
	return ""
}

// imageName is an image reference's last path component without tag or digest.
func imageName(image string) string {
	name := image
	if at := strings.Index(name, "@"); at >= 0 {
		name = name[:at]
	}
	if slash := strings.LastIndex(name, "/"); slash >= 0 {
		name = name[slash+1:]
	}
	if colon := strings.Index(name, ":"); colon >= 0 {
		name = name[:colon]
	}
	return name
}

// resolveEnv returns the variables the container gets: name -> literal value ("" when the
// value comes from a Secret, so it is set but unknown here). An empty literal counts as unset,
// as libs/config reads it.
func resolveEnv(namespace string, container corev1.Container,
	configMaps map[string]map[string]string, secrets map[string]map[string]bool) map[string]string {
	env := map[string]string{}
	for _, from := range container.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			for key, value := range configMaps[namespace+"/"+from.ConfigMapRef.Name] {
				if value != "" {
					env[from.Prefix+key] = value
				}
			}
		case from.SecretRef != nil:
			// Only a Secret in the rendered output says which keys it has.
			for key := range secrets[namespace+"/"+from.SecretRef.Name] {
				env[from.Prefix+key] = ""
			}
		}
	}
	for _, variable := range container.Env {
		switch {
		case variable.ValueFrom == nil:
			if variable.Value != "" {
				env[variable.Name] = variable.Value
			} else {
				delete(env, variable.Name)
			}
		case variable.ValueFrom.ConfigMapKeyRef != nil:
			ref := variable.ValueFrom.ConfigMapKeyRef
			if value, ok := configMaps[namespace+"/"+ref.Name][ref.Key]; ok && value != "" {
				env[variable.Name] = value
			}
		case variable.ValueFrom.SecretKeyRef != nil:
			// Secrets are made outside the overlay (k8s/README.md); one that is rendered must
			// have the key.
			ref := variable.ValueFrom.SecretKeyRef
			if keys, rendered := secrets[namespace+"/"+ref.Name]; !rendered || keys[ref.Key] {
				env[variable.Name] = ""
			}
		default: // fieldRef, resourceFieldRef: set by Kubernetes
			env[variable.Name] = ""
		}
	}
	return env
}

// checkMounted says what is wrong when `file` is not inside one of the container's volume
// mounts (or, for a Secret/ConfigMap volume that lists items, not one of them).
func checkMounted(pod *corev1.PodSpec, container corev1.Container, file string) string {
	volumes := map[string]corev1.Volume{}
	for _, volume := range pod.Volumes {
		volumes[volume.Name] = volume
	}
	for _, mount := range container.VolumeMounts {
		mountPath := path.Clean(mount.MountPath)
		if mount.SubPath != "" {
			if path.Clean(file) == mountPath {
				return ""
			}
			continue
		}
		if !strings.HasPrefix(path.Clean(file), mountPath+"/") {
			continue
		}
		relative := strings.TrimPrefix(path.Clean(file), mountPath+"/")
		var items []corev1.KeyToPath
		volume := volumes[mount.Name]
		switch {
		case volume.Secret != nil:
			items = volume.Secret.Items
		case volume.ConfigMap != nil:
			items = volume.ConfigMap.Items
		}
		if len(items) == 0 {
			return ""
		}
		for _, item := range items {
			if path.Clean(item.Path) == relative {
				return ""
			}
		}
		return fmt.Sprintf("is under the mount of volume %q, which does not project %q", mount.Name,
			relative)
	}
	return "is not inside any of the container's volume mounts"
}

func runSettingsCheck(docs []document, binDir string) int {
	if _, err := os.Stat(binDir); err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate: -settings:", err)
		return 2
	}
	problems := checkSettings(docs, binDir)
	for _, problem := range problems {
		fmt.Println(problem)
	}
	if len(problems) > 0 {
		fmt.Printf("k8s-validate: %d settings problem(s)\n", len(problems))
		return 1
	}
	fmt.Println("k8s-validate: every Homecoming container has the settings its binary requires")
	return 0
}
