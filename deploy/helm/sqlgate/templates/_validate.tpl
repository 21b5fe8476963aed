{{/*
Checks across values that values.schema.json cannot express. Each refusal names the value to change: an install
that renders is one sqlgate can start with.
*/}}
{{- define "sqlgate.validate" -}}
{{- $config := .Values.config -}}

{{- if eq (include "sqlgate.isMultiReplica" .) "true" -}}
{{- $pods := ternary (printf "autoscaling (up to %d pods)" (int .Values.autoscaling.maxReplicas)) (printf "replicaCount %d" (int .Values.replicaCount)) .Values.autoscaling.enabled -}}
{{- if eq (include "sqlgate.usesSqlite" .) "true" -}}
{{- fail (printf "sqlgate: %s needs config.store.url and config.audit.url on PostgreSQL (postgres://user:${VAR}@host/db). With SQLite every pod keeps its own users, tokens, signing keys and audit trail: a token issued by one pod would fail on the next. Use replicaCount: 1 without autoscaling, or move both stores to PostgreSQL (docs/operations/kubernetes.md)." $pods) -}}
{{- end -}}
{{- if not (regexMatch "^rediss?://" (dig "limits" "store" "" $config | toString)) -}}
{{- fail (printf "sqlgate: %s needs config.limits.store on Redis (redis:// or rediss://). In memory every pod counts alone, so each limit and the sign-in lockout would be multiplied by the number of pods." $pods) -}}
{{- end -}}
{{- end -}}

{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "sqlgate: autoscaling.minReplicas is larger than autoscaling.maxReplicas." -}}
{{- end -}}

{{- $grace := dig "server" "shutdown_grace" 10 $config -}}
{{- $graceSeconds := 0 -}}
{{- if kindIs "string" $grace -}}
{{- $graceSeconds = mul (regexFind "^[0-9]+" $grace | int) (get (dict "s" 1 "m" 60 "h" 3600 "d" 86400) (regexFind "[smhd]$" $grace)) -}}
{{- else -}}
{{- $graceSeconds = int $grace -}}
{{- end -}}
{{- /* sqlgate's own shutdown: shutdown_grace for calls in flight, then at most 15 s to cancel, flush and close. */ -}}
{{- $needed := add (int .Values.preStopSleepSeconds) $graceSeconds 15 -}}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "sqlgate: terminationGracePeriodSeconds %d is shorter than preStopSleepSeconds + config.server.shutdown_grace + 15 s (%d): Kubernetes would kill sqlgate while tool calls in flight finish. Raise it to %d." (int .Values.terminationGracePeriodSeconds) (int $needed) (int $needed)) -}}
{{- end -}}

{{- range $key := list "host" "port" -}}
{{- if hasKey (default (dict) $config.server) $key -}}
{{- fail (printf "sqlgate: remove config.server.%s: the chart sets it (0.0.0.0, and the port from httpPort), so that the probes, the Service and the NetworkPolicy agree with it." $key) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $config "metrics" -}}
{{- fail "sqlgate: remove config.metrics: the chart writes it from the metrics values (metrics.enabled, metrics.port)." -}}
{{- end -}}
{{- if and (eq (dig "auth" "mode" "oauth" $config | toString) "none") (not (dig "server" "insecure_no_auth" false $config)) -}}
{{- fail "sqlgate: config.auth.mode none would serve the pod's address without authentication, and sqlgate refuses to start so. Use auth.mode oauth." -}}
{{- end -}}

{{- include "sqlgate.refuseLiteralSecrets" (dict "value" $config "path" "config") -}}

{{- $secretNames := keys (default (dict) .Values.secretEnv) -}}
{{- $plainNames := keys (default (dict) .Values.env) -}}
{{- range $secretNames -}}
{{- if has . $plainNames -}}
{{- fail (printf "sqlgate: %s is in both secretEnv and env; keep it in one." .) -}}
{{- end -}}
{{- end -}}
{{- $tokenVariable := include "sqlgate.metricsTokenVariable" . -}}
{{- if and .Values.metrics.tokenSecret (has $tokenVariable (concat $secretNames $plainNames)) -}}
{{- fail (printf "sqlgate: %s carries metrics.tokenSecret; remove it from secretEnv and env." $tokenVariable) -}}
{{- end -}}
{{- $defined := concat $secretNames $plainNames -}}
{{- range regexFindAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}" (toYaml $config) -1 -}}
{{- $name := . | trimPrefix "${" | trimSuffix "}" -}}
{{- if not (has $name $defined) -}}
{{- fail (printf "sqlgate: config uses ${%s}, which neither secretEnv nor env defines: sqlgate would refuse to start. Add it to secretEnv ({ secretName: …, key: … })." $name) -}}
{{- end -}}
{{- end -}}

{{- range .Values.secretFiles -}}
{{- $mountPath := trimSuffix "/" .mountPath -}}
{{- range $taken := list "/etc/sqlgate" "/data" "/tmp" -}}
{{- if or (eq $mountPath $taken) (hasPrefix (printf "%s/" $taken) $mountPath) (hasPrefix (printf "%s/" $mountPath) $taken) -}}
{{- fail (printf "sqlgate: secretFiles mountPath %s overlaps %s, which the chart mounts; use a path such as /run/secrets/<name>." $mountPath $taken) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- if .Values.ingress.enabled -}}
{{- if not .Values.ingress.host -}}
{{- fail "sqlgate: ingress.enabled needs ingress.host, the host name users reach sqlgate at." -}}
{{- end -}}
{{- $publicUrl := dig "auth" "public_url" "" $config | toString -}}
{{- if ne $publicUrl (printf "https://%s" .Values.ingress.host) -}}
{{- fail (printf "sqlgate: with the Ingress, config.auth.public_url must be https://%s (it is %q): it is the OAuth issuer and the base of every resource URL clients are given." .Values.ingress.host $publicUrl) -}}
{{- end -}}
{{- end -}}

{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) -}}
{{- fail "sqlgate: metrics.serviceMonitor.enabled needs metrics.enabled." -}}
{{- end -}}
{{- if and .Values.metrics.enabled .Values.metrics.tokenSecret .Values.metrics.scrapeAnnotations -}}
{{- fail "sqlgate: metrics.scrapeAnnotations cannot send the bearer token of metrics.tokenSecret (Prometheus would get 401): set scrapeAnnotations false and use the ServiceMonitor." -}}
{{- end -}}
{{- if and .Values.metrics.enabled (eq (int .Values.metrics.port) (int .Values.httpPort)) -}}
{{- fail "sqlgate: metrics.port must differ from httpPort." -}}
{{- end -}}
{{- end -}}

{{/*
Walks config and refuses a password, client secret or database/store URL password written in clear: values files
end up in version control and in the release Secret that Helm keeps, so secrets come from Secrets as ${VAR}.
*/}}
{{- define "sqlgate.refuseLiteralSecrets" -}}
{{- $reference := "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" -}}
{{- $urlWithPassword := "^[A-Za-z][A-Za-z0-9+.-]*://[^/@]*:[^/@]+@" -}}
{{- $urlWithReference := "^[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}@" -}}
{{- $children := dict -}}
{{- if kindIs "map" .value -}}
{{- range $key, $child := .value -}}
{{- $_ := set $children $key $child -}}
{{- end -}}
{{- else if kindIs "slice" .value -}}
{{- range $index, $child := .value -}}
{{- $_ := set $children (printf "[%d]" $index) $child -}}
{{- end -}}
{{- end -}}
{{- $path := .path -}}
{{- range $key, $child := $children -}}
{{- $childPath := ternary (printf "%s%s" $path $key) (printf "%s.%s" $path $key) (hasPrefix "[" $key) -}}
{{- if kindIs "string" $child -}}
{{- if and (has $key (list "password" "client_secret")) $child (not (regexMatch $reference $child)) -}}
{{- fail (printf "sqlgate: %s is written in clear. Write ${VAR} and name the Secret key in secretEnv." $childPath) -}}
{{- end -}}
{{- if and (has $key (list "database" "url" "store")) (regexMatch $urlWithPassword $child) (not (regexMatch $urlWithReference $child)) -}}
{{- fail (printf "sqlgate: %s has a password written in clear. Write it as ${VAR} (postgres://user:${VAR}@host/db) and name the Secret key in secretEnv." $childPath) -}}
{{- end -}}
{{- else -}}
{{- include "sqlgate.refuseLiteralSecrets" (dict "value" $child "path" $childPath) -}}
{{- end -}}
{{- end -}}
{{- end -}}
