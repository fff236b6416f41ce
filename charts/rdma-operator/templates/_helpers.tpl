{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "rdma-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, unless it already contains the
chart name (helm install rdma-operator ... gives "rdma-operator", not
"rdma-operator-rdma-operator"). 63 characters at most; the agent's objects
append "-agent", so the base is cut to 57.
*/}}
{{- define "rdma-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 57 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rdma-operator.agentFullname" -}}
{{- printf "%s-agent" (include "rdma-operator.fullname" .) }}
{{- end }}

{{- define "rdma-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels common to every object. */}}
{{- define "rdma-operator.labels" -}}
helm.sh/chart: {{ include "rdma-operator.chart" . }}
app.kubernetes.io/name: {{ include "rdma-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "rdma-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rdma-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "rdma-operator.agentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "rdma-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end }}

{{/* ServiceAccount names: create → the fullname, else the given name or "default". */}}
{{- define "rdma-operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "rdma-operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "rdma-operator.agentServiceAccountName" -}}
{{- if .Values.agent.serviceAccount.create }}
{{- default (include "rdma-operator.agentFullname" .) .Values.agent.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.agent.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image: repository:tag, tag defaulting to the chart's appVersion. */}}
{{- define "rdma-operator.image" -}}
{{- printf "%s:%s" .repository (default .appVersion .tag | toString) }}
{{- end }}
