{{/*
Names. Every object is named "FULLNAME-COMPONENT", where COMPONENT is
authserver, resourceserver or migrate: the full name is cut so that the
longest ("-resourceserver") still fits the 63 characters of a label.
*/}}
{{- define "fastsafe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fastsafe.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of a component's objects: (list $ "authserver"). */}}
{{- define "fastsafe.componentName" -}}
{{- printf "%s-%s" (include "fastsafe.fullname" (index . 0)) (index . 1) }}
{{- end }}

{{/* The labels that select a component's pods: (list $ "authserver"). */}}
{{- define "fastsafe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fastsafe.name" (index . 0) }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Every label of a component's objects: (list $ "authserver"). */}}
{{- define "fastsafe.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "fastsafe.selectorLabels" . }}
app.kubernetes.io/part-of: fastsafe
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end }}

{{/* A component's image: (list $ $values). */}}
{{- define "fastsafe.image" -}}
{{- $img := (index . 1).image }}
{{- printf "%s:%s" $img.repository (default (index . 0).Chart.AppVersion $img.tag) }}
{{- end }}

{{/*
URLs. A Service's URL inside the cluster: (list $ "authserver"); the port
is left out when it is 80.
*/}}
{{- define "fastsafe.serviceURL" -}}
{{- $root := index . 0 }}
{{- $port := int (index $root.Values (index . 1)).service.port }}
{{- printf "http://%s.%s.svc" (include "fastsafe.componentName" .) $root.Release.Namespace }}
{{- if ne $port 80 }}:{{ $port }}{{ end }}
{{- end }}

{{/* The URL of an Ingress host: https when a TLS entry lists it. (list $ HOST). */}}
{{- define "fastsafe.ingressURL" -}}
{{- $host := index . 1 }}
{{- $scheme := "http" }}
{{- range (index . 0).Values.ingress.tls }}
{{- if has $host .hosts }}{{ $scheme = "https" }}{{ end }}
{{- end }}
{{- printf "%s://%s" $scheme $host }}
{{- end }}

{{/*
The public URL of a component: its value if set, else its Ingress host,
else its Service. (list $ "authserver" "issuer").
*/}}
{{- define "fastsafe.publicURL" -}}
{{- $root := index . 0 }}
{{- $component := index . 1 }}
{{- $set := index (index $root.Values $component) (index . 2) }}
{{- $host := (index $root.Values.ingress $component).host }}
{{- if $set }}
{{- $set }}
{{- else if and $root.Values.ingress.enabled $host }}
{{- include "fastsafe.ingressURL" (list $root $host) }}
{{- else }}
{{- include "fastsafe.serviceURL" (list $root $component) }}
{{- end }}
{{- end }}

{{/* The authorization server's issuer. */}}
{{- define "fastsafe.issuer" -}}
{{- include "fastsafe.publicURL" (list . "authserver" "issuer") }}
{{- end }}

{{/*
Environment. A variable with a plain value, left out when the value is
empty: (list NAME VALUE). A list is joined with commas.
*/}}
{{- define "fastsafe.env" -}}
{{- $v := index . 1 }}
{{- if kindIs "slice" $v }}{{ $v = join "," $v }}{{ end }}
{{- if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) }}{{ $v = toString (int64 $v) }}{{ end }}
{{- if ne (toString $v) "" }}
- name: {{ index . 0 }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/* A variable from a key of a Secret: (list NAME SECRET KEY). */}}
{{- define "fastsafe.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: {{ index . 2 }}
{{- end }}

{{/*
The authorization server's settings that are not secret, and that the
migration Job shares (AUTH_DB and the bootstrap settings aside).
*/}}
{{- define "fastsafe.authserver.settings" -}}
{{- $v := .Values.authserver }}
{{- include "fastsafe.env" (list "AUTH_ADDR" (printf ":%d" (int $v.port))) }}
{{- if $v.metricsPort }}
{{- include "fastsafe.env" (list "AUTH_METRICS_ADDR" (printf ":%d" (int $v.metricsPort))) }}
{{- end }}
{{- include "fastsafe.env" (list "AUTH_ISSUER" (include "fastsafe.issuer" .)) }}
{{- include "fastsafe.env" (list "AUTH_LOG_LEVEL" $v.logLevel) }}
{{- include "fastsafe.env" (list "AUTH_LOG_FORMAT" $v.logFormat) }}
{{- include "fastsafe.env" (list "AUTH_ACCESS_TOKEN_TTL" $v.accessTokenTTL) }}
{{- include "fastsafe.env" (list "AUTH_REFRESH_TOKEN_TTL" $v.refreshTokenTTL) }}
{{- include "fastsafe.env" (list "AUTH_REFRESH_TOKEN_ABSOLUTE_TTL" $v.refreshTokenAbsoluteTTL) }}
{{- include "fastsafe.env" (list "AUTH_SIGNING_ALG" $v.signingAlg) }}
{{- include "fastsafe.env" (list "AUTH_KEY_ROTATION" $v.keyRotation) }}
{{- include "fastsafe.env" (list "AUTH_BCRYPT_COST" $v.bcryptCost) }}
{{- include "fastsafe.env" (list "AUTH_BCRYPT_CONCURRENCY" $v.bcryptConcurrency) }}
{{- include "fastsafe.env" (list "AUTH_CORS_ORIGINS" $v.corsOrigins) }}
{{- include "fastsafe.env" (list "AUTH_TRUSTED_PROXIES" $v.trustedProxies) }}
{{- include "fastsafe.env" (list "AUTH_SHUTDOWN_DRAIN" $v.shutdownDrain) }}
{{- include "fastsafe.env" (list "AUTH_SHUTDOWN_TIMEOUT" $v.shutdownTimeout) }}
{{- end }}

{{/* Whether the authorization server runs on SQLite ("true") or not (""). */}}
{{- define "fastsafe.sqlite" -}}
{{- if eq .Values.authserver.database.type "sqlite" }}true{{ end }}
{{- end }}

{{/* The Secret the chart keeps the database URL and bootstrap secrets in. */}}
{{- define "fastsafe.authserver.secretName" -}}
{{- include "fastsafe.componentName" (list . "authserver") }}
{{- end }}

{{/*
AUTH_DB: the file on the data volume with SQLite, else from a Secret (SECRET
is the chart's Secret to take it from when no existing Secret is named).
(list $ SECRET).
*/}}
{{- define "fastsafe.authserver.dbEnv" -}}
{{- $root := index . 0 }}
{{- $db := $root.Values.authserver.database }}
{{- if include "fastsafe.sqlite" $root }}
{{- include "fastsafe.env" (list "AUTH_DB" "/data/authserver.db") }}
{{- else if $db.existingSecret }}
{{ include "fastsafe.secretEnv" (list "AUTH_DB" $db.existingSecret $db.existingSecretKey) }}
{{- else }}
{{ include "fastsafe.secretEnv" (list "AUTH_DB" (index . 1) "AUTH_DB") }}
{{- end }}
{{- end }}

{{/* The settings of the initial user and clients. */}}
{{- define "fastsafe.authserver.bootstrapEnv" -}}
{{- $b := .Values.authserver.bootstrap }}
{{- $secret := default (include "fastsafe.authserver.secretName" .) $b.existingSecret }}
{{- include "fastsafe.env" (list "AUTH_BOOTSTRAP_USER" $b.user) }}
{{- if or $b.password (and $b.existingSecret $b.user) }}
{{ include "fastsafe.secretEnv" (list "AUTH_BOOTSTRAP_PASSWORD" $secret "AUTH_BOOTSTRAP_PASSWORD") }}
{{- end }}
{{- include "fastsafe.env" (list "AUTH_BOOTSTRAP_CLIENT_ID" $b.clientID) }}
{{- if or $b.clientSecret (and $b.existingSecret $b.clientID) }}
{{ include "fastsafe.secretEnv" (list "AUTH_BOOTSTRAP_CLIENT_SECRET" $secret "AUTH_BOOTSTRAP_CLIENT_SECRET") }}
{{- end }}
{{- include "fastsafe.env" (list "AUTH_BOOTSTRAP_DOCS_CLIENT_ID" $b.docsClientID) }}
{{- include "fastsafe.env" (list "AUTH_BOOTSTRAP_AUDIENCE" $b.audience) }}
{{- include "fastsafe.env" (list "AUTH_BOOTSTRAP_SCOPES" $b.scopes) }}
{{- end }}

{{/* The resource server's settings. */}}
{{- define "fastsafe.resourceserver.settings" -}}
{{- $v := .Values.resourceserver }}
{{- include "fastsafe.env" (list "RS_ADDR" (printf ":%d" (int $v.port))) }}
{{- if $v.metricsPort }}
{{- include "fastsafe.env" (list "RS_METRICS_ADDR" (printf ":%d" (int $v.metricsPort))) }}
{{- end }}
{{- include "fastsafe.env" (list "RS_ISSUER" (default (include "fastsafe.issuer" .) $v.issuer)) }}
{{- include "fastsafe.env" (list "RS_JWKS_URL" (default (printf "%s/.well-known/jwks.json" (include "fastsafe.serviceURL" (list . "authserver"))) $v.jwksURL)) }}
{{- include "fastsafe.env" (list "RS_AUDIENCE" $v.audience) }}
{{- include "fastsafe.env" (list "RS_PUBLIC_URL" (include "fastsafe.publicURL" (list . "resourceserver" "publicURL"))) }}
{{- include "fastsafe.env" (list "RS_TOKEN_URL" $v.tokenURL) }}
{{- include "fastsafe.env" (list "RS_DOCS_CLIENT_ID" $v.docsClientID) }}
{{- include "fastsafe.env" (list "RS_TRUSTED_PROXIES" $v.trustedProxies) }}
{{- include "fastsafe.env" (list "RS_TOKEN_CACHE_SIZE" $v.tokenCacheSize) }}
{{- include "fastsafe.env" (list "RS_LOG_LEVEL" $v.logLevel) }}
{{- include "fastsafe.env" (list "RS_LOG_FORMAT" $v.logFormat) }}
{{- include "fastsafe.env" (list "RS_SHUTDOWN_TIMEOUT" $v.shutdownTimeout) }}
{{- end }}

{{/*
Pods. What every pod of the chart has: no service account token, a
non-root user, the runtime's seccomp profile. (list $ $values).
*/}}
{{- define "fastsafe.podSpec" -}}
{{- $root := index . 0 }}
{{- $v := index . 1 -}}
automountServiceAccountToken: false
{{- with $root.Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  # The group that owns the data volume, so that the server may write it.
  fsGroup: 65532
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Spread a component's pods over nodes and zones: (list $ "authserver"). */}}
{{- define "fastsafe.topologySpread" -}}
{{- if (index (index . 0).Values (index . 1)).topologySpread }}
topologySpreadConstraints:
  {{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "fastsafe.selectorLabels" $ | nindent 8 }}
  {{- end }}
{{- end }}
{{- end }}

{{/* Every container of the chart: non-root, read-only, no capabilities. */}}
{{- define "fastsafe.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{/*
A server's ports and probes: (list $values). Alive while the process serves
HTTP (/healthz), whatever its dependencies do; ready (/readyz) while it can
answer: the database for the authorization server, the key set for the
resource server.
*/}}
{{- define "fastsafe.serverPorts" -}}
{{- $v := index . 0 -}}
ports:
  - name: http
    containerPort: {{ $v.port }}
    protocol: TCP
  {{- if $v.metricsPort }}
  - name: metrics
    containerPort: {{ $v.metricsPort }}
    protocol: TCP
  {{- end }}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/* The components that are deployed. */}}
{{- define "fastsafe.components" -}}
authserver{{ if .Values.resourceserver.enabled }} resourceserver{{ end }}
{{- end }}

{{/* Refuse values that cannot work, with a message that says why. */}}
{{- define "fastsafe.validate" -}}
{{- $a := .Values.authserver }}
{{- if and (include "fastsafe.sqlite" .) (gt (int $a.replicas) 1) }}
{{- fail (printf "authserver.replicas is %d, but SQLite serves one replica: set authserver.database.type to postgres (with database.url or database.existingSecret) to run several" (int $a.replicas)) }}
{{- end }}
{{- if and (not (include "fastsafe.sqlite" .)) (not $a.database.url) (not $a.database.existingSecret) }}
{{- fail "authserver.database.type is postgres, but neither authserver.database.url nor authserver.database.existingSecret is set" }}
{{- end }}
{{- if and $a.database.url $a.database.existingSecret }}
{{- fail "authserver.database.url and authserver.database.existingSecret are both set: choose one" }}
{{- end }}
{{- if and (include "fastsafe.sqlite" .) (or $a.database.url $a.database.existingSecret) }}
{{- fail "authserver.database.url or existingSecret is set, but authserver.database.type is sqlite: set it to postgres" }}
{{- end }}
{{- if and $a.bootstrap.existingSecret (or $a.bootstrap.password $a.bootstrap.clientSecret) }}
{{- fail "authserver.bootstrap.existingSecret and bootstrap.password or clientSecret are both set: choose one" }}
{{- end }}
{{- $chartEnv := dict
  "authserver" (cat (include "fastsafe.authserver.settings" .) (include "fastsafe.authserver.dbEnv" (list . "")) (include "fastsafe.authserver.bootstrapEnv" .))
  "resourceserver" (include "fastsafe.resourceserver.settings" .) }}
{{- range $c := list "authserver" "resourceserver" }}
{{- $v := index $.Values $c }}
{{- $set := regexFindAll "- name: [A-Za-z0-9_]+" (index $chartEnv $c) -1 }}
{{- range $v.extraEnv }}
{{- if has (printf "- name: %s" .name) $set }}
{{- fail (printf "%s.extraEnv sets %s, which the chart already sets from %s values: set that value instead (README.md lists them)" $c .name $c) }}
{{- end }}
{{- end }}
{{- if and $v.metricsPort (eq (int $v.metricsPort) (int $v.port)) }}
{{- fail (printf "%s.metricsPort is the same as %s.port; set it to 0 to serve /metrics on port" $c $c) }}
{{- end }}
{{- end }}
{{- end }}
