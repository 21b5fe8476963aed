{{/* The chart's name, at most 63 characters (a DNS label). */}}
{{- define "sqlgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: every object's name. */}}
{{- define "sqlgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sqlgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sqlgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sqlgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sqlgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sqlgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sqlgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sqlgate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
"true" when the state store or the audit trail is a SQLite file (sqlgate's default for both): such a file belongs
to one pod, so there can be only one replica. A URL that sqlgate reads from a variable or a file is not known here,
and counts as SQLite: write postgres://user:${VAR}@host/db.
*/}}
{{- define "sqlgate.usesSqlite" -}}
{{- $store := dig "store" "url" "" .Values.config | toString -}}
{{- $audit := dig "audit" "url" "" .Values.config | toString -}}
{{- not (and (regexMatch "^postgres(ql)?://" $store) (regexMatch "^postgres(ql)?://" $audit)) -}}
{{- end -}}

{{/* "true" when more than one pod may run: replicaCount > 1, or the HorizontalPodAutoscaler. */}}
{{- define "sqlgate.isMultiReplica" -}}
{{- or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) -}}
{{- end -}}

{{/*
sqlgate.yaml: the values' config, plus what the chart owns (the address served, the metrics listener), the demo
environment when config names none, and, behind the Ingress, a keep-alive timeout longer than the proxy's.
*/}}
{{- define "sqlgate.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- if not $config.environments -}}
{{- $_ := set $config "environments" (dict "demo" (dict "database" "sqlite:./data/demo.sqlite" "demo" true "description" "Generated demo sales database")) -}}
{{- end -}}
{{- $server := deepCopy (default (dict) $config.server) -}}
{{- $_ := set $server "host" "0.0.0.0" -}}
{{- $_ = set $server "port" (int .Values.httpPort) -}}
{{- if and .Values.ingress.enabled (not (hasKey $server "keep_alive_timeout")) -}}
{{- /* Longer than ingress-nginx's upstream keep-alive (60 s): else nginx may reuse a connection sqlgate just closed (502). */ -}}
{{- $_ = set $server "keep_alive_timeout" "75s" -}}
{{- end -}}
{{- $_ = set $config "server" $server -}}
{{- if .Values.metrics.enabled -}}
{{- $metrics := dict "listen" (printf "0.0.0.0:%d" (int .Values.metrics.port)) -}}
{{- if .Values.metrics.tokenSecret -}}
{{- $_ = set $metrics "token" (printf "${%s}" (include "sqlgate.metricsTokenVariable" .)) -}}
{{- end -}}
{{- $_ = set $config "metrics" $metrics -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The variable that carries metrics.tokenSecret into sqlgate.yaml's metrics.token. */}}
{{- define "sqlgate.metricsTokenVariable" -}}SQLGATE_METRICS_TOKEN{{- end -}}
