package k8s

// The few Kubernetes API fields the manifests use, with the API's own
// names, in the order people write them. k8s_test.go decodes the output
// strictly into k8s.io/api's types.

type objectMeta struct {
	Name      string            `yaml:"name,omitempty"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   objectMeta        `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

type job struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       jobSpec    `yaml:"spec"`
}

type jobSpec struct {
	CompletionMode        string      `yaml:"completionMode"`
	Completions           int         `yaml:"completions"`
	Parallelism           int         `yaml:"parallelism"`
	BackoffLimit          int         `yaml:"backoffLimit"`
	ActiveDeadlineSeconds int64       `yaml:"activeDeadlineSeconds"`
	Template              podTemplate `yaml:"template"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	Affinity      affinity    `yaml:"affinity"`
	Containers    []container `yaml:"containers"`
	Volumes       []volume    `yaml:"volumes"`
}

type affinity struct {
	PodAntiAffinity podAntiAffinity `yaml:"podAntiAffinity"`
}

type podAntiAffinity struct {
	Required  []podAffinityTerm `yaml:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	Preferred []weightedTerm    `yaml:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

type podAffinityTerm struct {
	LabelSelector labelSelector `yaml:"labelSelector"`
	TopologyKey   string        `yaml:"topologyKey"`
}

type weightedTerm struct {
	Weight          int             `yaml:"weight"`
	PodAffinityTerm podAffinityTerm `yaml:"podAffinityTerm"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type container struct {
	Name         string        `yaml:"name"`
	Image        string        `yaml:"image"`
	Command      []string      `yaml:"command"`
	Env          []envVar      `yaml:"env,omitempty"`
	Resources    resources     `yaml:"resources"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type resources struct {
	Requests map[string]string `yaml:"requests"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type volume struct {
	Name      string       `yaml:"name"`
	ConfigMap configMapRef `yaml:"configMap"`
}

type configMapRef struct {
	Name string `yaml:"name"`
}
