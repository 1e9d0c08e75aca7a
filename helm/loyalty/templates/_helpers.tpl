{{/*
Names and labels. Objects of a service are named <fullname>-<service>; the
helpers taking a service get (list $ "<service>").
*/}}

{{- define "loyalty.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "loyalty.name" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "loyalty.fullname" $root) (index . 1) -}}
{{- end -}}

{{- define "loyalty.isGateway" -}}
{{- if eq . "gateway" }}true{{ end -}}
{{- end -}}

{{/* Labels every object of the release carries. */}}
{{- define "loyalty.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: loyalty
{{- end -}}

{{- define "loyalty.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "loyalty.labels" -}}
{{ include "loyalty.commonLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Pods of this release, whatever their service. */}}
{{- define "loyalty.releasePodLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "loyalty.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s:%s" $root.Values.image.repository (index . 1) ($root.Values.image.tag | default $root.Chart.AppVersion) -}}
{{- end -}}

{{/* Ports: fixed inside the pod, so that addresses need no configuration. */}}
{{- define "loyalty.grpcPort" -}}50051{{- end -}}
{{- define "loyalty.metricsPort" -}}9090{{- end -}}
{{- define "loyalty.httpPort" -}}8080{{- end -}}
