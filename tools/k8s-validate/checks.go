package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// semanticChecks runs the cheap part of the API server's own validation that decoding does
// not: names, labels, env variable names, ports, requests within limits, and that a workload's
// selector selects its own pods. (Quantities and intstr values already failed to decode when
// malformed.)
func semanticChecks(obj runtime.Object) []string {
	var problems []string
	if accessor, ok := obj.(metav1.Object); ok {
		problems = append(problems, checkMeta("metadata", accessor.GetName(),
			accessor.GetLabels())...)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		problems = append(problems, checkSelector("spec", o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPod("spec.template.spec", &o.Spec.Template.Spec)...)
	case *appsv1.StatefulSet:
		problems = append(problems, checkSelector("spec", o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPod("spec.template.spec", &o.Spec.Template.Spec)...)
	case *appsv1.DaemonSet:
		problems = append(problems, checkSelector("spec", o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPod("spec.template.spec", &o.Spec.Template.Spec)...)
	case *batchv1.Job:
		problems = append(problems, checkPod("spec.template.spec", &o.Spec.Template.Spec)...)
	case *batchv1.CronJob:
		problems = append(problems,
			checkPod("spec.jobTemplate.spec.template.spec", &o.Spec.JobTemplate.Spec.Template.Spec)...)
	case *corev1.Service:
		for i, port := range o.Spec.Ports {
			if port.Port < 1 || port.Port > 65535 {
				problems = append(problems, fmt.Sprintf("spec.ports[%d].port: %d is not 1..65535", i, port.Port))
			}
		}
	}
	return problems
}

func checkMeta(path, name string, objectLabels map[string]string) []string {
	var problems []string
	if name == "" {
		problems = append(problems, path+".name: required")
	} else if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		problems = append(problems, fmt.Sprintf("%s.name: %q: %v", path, name, errs))
	}
	problems = append(problems, checkLabels(path+".labels", objectLabels)...)
	return problems
}

func checkLabels(path string, values map[string]string) []string {
	var problems []string
	for key, value := range values {
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			problems = append(problems, fmt.Sprintf("%s: key %q: %v", path, key, errs))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			problems = append(problems, fmt.Sprintf("%s[%s]: %q: %v", path, key, value, errs))
		}
	}
	return problems
}

func checkSelector(path string, selector *metav1.LabelSelector, podLabels map[string]string) []string {
	if selector == nil {
		return []string{path + ".selector: required"}
	}
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return []string{fmt.Sprintf("%s.selector: %v", path, err)}
	}
	if parsed.Empty() || !parsed.Matches(labels.Set(podLabels)) {
		return []string{fmt.Sprintf("%s.selector: %s does not select the template's labels %v",
			path, parsed, podLabels)}
	}
	return nil
}

func checkPod(path string, pod *corev1.PodSpec) []string {
	var problems []string
	if len(pod.Containers) == 0 {
		problems = append(problems, path+".containers: at least one is required")
	}
	volumes := map[string]bool{}
	for _, volume := range pod.Volumes {
		volumes[volume.Name] = true
	}
	check := func(kind string, containers []corev1.Container) {
		for i, c := range containers {
			at := fmt.Sprintf("%s.%s[%d]", path, kind, i)
			if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
				problems = append(problems, fmt.Sprintf("%s.name: %q: %v", at, c.Name, errs))
			}
			if c.Image == "" {
				problems = append(problems, at+".image: required")
			}
			for j, env := range c.Env {
				if errs := validation.IsEnvVarName(env.Name); len(errs) > 0 {
					problems = append(problems, fmt.Sprintf("%s.env[%d].name: %q: %v", at, j, env.Name, errs))
				}
			}
			for j, port := range c.Ports {
				if port.ContainerPort < 1 || port.ContainerPort > 65535 {
					problems = append(problems,
						fmt.Sprintf("%s.ports[%d].containerPort: %d is not 1..65535", at, j, port.ContainerPort))
				}
			}
			for j, mount := range c.VolumeMounts {
				if !volumes[mount.Name] {
					problems = append(problems,
						fmt.Sprintf("%s.volumeMounts[%d]: no volume named %q in the pod", at, j, mount.Name))
				}
			}
			for resource, limit := range c.Resources.Limits {
				if request, ok := c.Resources.Requests[resource]; ok && request.Cmp(limit) > 0 {
					problems = append(problems, fmt.Sprintf("%s.resources: %s request %s exceeds its limit %s",
						at, resource, request.String(), limit.String()))
				}
			}
		}
	}
	check("initContainers", pod.InitContainers)
	check("containers", pod.Containers)
	return problems
}
