{{/* vim: set filetype=mustache: */}}

{{/* Chart name. */}}
{{- define "wt.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of every object. 40 characters at most so that the longest derived
names stay valid: "<name>-self-delete" (a CronJob, 52 max) and the pod "<name>-0".
*/}}
{{- define "wt.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wt.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "wt.labels" -}}
helm.sh/chart: {{ include "wt.chart" . }}
app.kubernetes.io/name: {{ include "wt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selects the app pod. */}}
{{- define "wt.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: app
{{- end }}

{{/* Selects the self-deletion pod. */}}
{{- define "wt.selfDeleteSelectorLabels" -}}
app.kubernetes.io/name: {{ include "wt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: self-delete
{{- end }}

{{/* Selects the GPU worker pods (kubernetes launcher): never the app's selector. */}}
{{- define "wt.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "wt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end }}

{{/*
Labels of the GPU worker's Jobs and pods: those of the release, but the app, not Helm,
creates them, and they never carry the app's selector (wt.selectorLabels).
*/}}
{{- define "wt.workerLabels" -}}
helm.sh/chart: {{ include "wt.chart" . }}
{{ include "wt.workerSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: transcribe-web
{{- end }}

{{/* Names of the objects, in one place: the deletion plan and the Role use them too. */}}
{{- define "wt.podName" -}}{{ include "wt.fullname" . }}-0{{- end }}
{{- define "wt.deadlineName" -}}{{ include "wt.fullname" . }}-deadline{{- end }}
{{- define "wt.selfDeleteName" -}}{{ include "wt.fullname" . }}-self-delete{{- end }}
{{- define "wt.netpolIngressName" -}}{{ include "wt.fullname" . }}-ingress{{- end }}
{{- define "wt.netpolEgressName" -}}{{ include "wt.fullname" . }}-egress{{- end }}
{{- define "wt.workerName" -}}{{ include "wt.fullname" . }}-worker{{- end }}
{{- define "wt.workerJobName" -}}{{ include "wt.fullname" . }}-worker-job{{- end }}
{{- define "wt.launcherName" -}}{{ include "wt.fullname" . }}-launcher{{- end }}

{{/*
Where the GPU is, one of three modes (the form's gpu.enabled and gpu.mode):
  while-transcribing  the app on CPU; each batch a Kubernetes Job on a GPU
  whole-service       the app holds the GPU for its whole life (as before)
  cpu-only            no GPU anywhere (gpu.enabled false, whatever gpu.mode says)
*/}}
{{- define "wt.gpuMode" -}}
{{- if not .Values.gpu.enabled }}cpu-only{{ else }}{{ .Values.gpu.mode }}{{ end }}
{{- end }}

{{/* How the app starts its transcription workers (TRANSCRIBE_WORKER_LAUNCHER). */}}
{{- define "wt.launcher" -}}
{{- ternary "kubernetes" "process" (eq (include "wt.gpuMode" .) "while-transcribing") }}
{{- end }}

{{/* "true" when the app pod itself holds a GPU. */}}
{{- define "wt.appHasGpu" -}}
{{- if eq (include "wt.gpuMode" .) "whole-service" }}true{{ end }}
{{- end }}

{{/* "true" when the app pod has an ingress NetworkPolicy (networkpolicy.yaml). */}}
{{- define "wt.ingressPolicy" -}}
{{- if or .Values.security.networkPolicy.enabled (eq (include "wt.launcher" .) "kubernetes") }}true{{ end }}
{{- end }}

{{/* "true" when the app talks to the API server: its delete button, or the Job launcher. */}}
{{- define "wt.appUsesApi" -}}
{{- if or .Values.autoDelete.fromApp (eq (include "wt.launcher" .) "kubernetes") }}true{{ end }}
{{- end }}

{{/* Image tag: explicit, or "<appVersion>-gpu" / "<appVersion>-cpu". */}}
{{- define "wt.imageTag" -}}
{{- .Values.service.image.tag | default (printf "%s-%s" .Chart.AppVersion (ternary "gpu" "cpu" .Values.gpu.enabled)) }}
{{- end }}

{{- define "wt.image" -}}
{{- printf "%s:%s" .Values.service.image.repository (include "wt.imageTag" .) }}
{{- end }}

{{- define "wt.selfDeleteImage" -}}
{{- $repo := .Values.autoDelete.image.repository | default .Values.service.image.repository }}
{{- $tag := .Values.autoDelete.image.tag | default (include "wt.imageTag" .) }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* Whisper model preselected in the app. */}}
{{- define "wt.defaultModel" -}}
{{- if eq .Values.transcription.defaultModel "auto" }}
{{- ternary "large-v3-turbo" "small" .Values.gpu.enabled }}
{{- else }}
{{- .Values.transcription.defaultModel }}
{{- end }}
{{- end }}

{{/* App language: fr, or en for every other Onyxia language. */}}
{{- define "wt.language" -}}
{{- ternary "fr" "en" (eq (.Values.userPreferences).language "fr") }}
{{- end }}

{{/* Base path without trailing slash ("" for "/"), to build other paths on. */}}
{{- define "wt.basePathPrefix" -}}
{{- .Values.networking.basePath | default "/" | trimSuffix "/" }}
{{- end }}

{{/* Base path as given to the app and the Ingress: "/" or "/something". */}}
{{- define "wt.basePath" -}}
{{- include "wt.basePathPrefix" . | default "/" }}
{{- end }}

{{- define "wt.healthPath" -}}
{{- printf "%s/_stcore/health" (include "wt.basePathPrefix" .) }}
{{- end }}

{{- define "wt.hostname" -}}
{{- if .Values.route.enabled }}
{{- .Values.route.hostname }}
{{- else }}
{{- .Values.ingress.hostname }}
{{- end }}
{{- end }}

{{/* URL shown to the user (https when TLS is on; a Route always terminates TLS). */}}
{{- define "wt.url" -}}
{{- $scheme := ternary "https" "http" (or .Values.route.enabled (and .Values.ingress.enabled .Values.ingress.tls)) }}
{{- $path := include "wt.basePathPrefix" . }}
{{- printf "%s://%s%s/" $scheme (include "wt.hostname" .) $path }}
{{- end }}

{{/*
Deletion deadline, ISO-8601 UTC to the minute (e.g. 2026-11-26T10:00:00Z).

Computed once per install and then kept:
  1. helm upgrade: reuse the value stored in the "<name>-deadline" ConfigMap
     (lookup), so an upgrade never extends or shortens the service's life;
  2. else autoDelete.deleteAt when given (rounded down to the minute; at
     least a minute and at most 24 h ahead);
  3. else now + autoDelete.ttlHours, rounded down to the minute (CronJob
     schedules have minute precision; rounding down never exceeds the ttl).
The result is cached in .Values (one map shared by all templates of a render)
so that every template and NOTES.txt show the same minute.
*/}}
{{- define "wt.deleteAt" -}}
{{- if not (hasKey .Values.autoDelete "resolvedDeleteAt") }}
{{- $layout := "2006-01-02T15:04:05Z07:00" }}
{{- $existing := lookup "v1" "ConfigMap" .Release.Namespace (include "wt.deadlineName" .) }}
{{- $stored := dig "data" "deleteAt" "" $existing }}
{{- $at := "" }}
{{- if $stored }}
{{- $at = $stored }}
{{- else if .Values.autoDelete.deleteAt }}
{{- $at = dateInZone "2006-01-02T15:04:00Z" (toDate $layout .Values.autoDelete.deleteAt) "UTC" }}
{{- $epoch := toDate $layout $at | unixEpoch | int64 }}
{{- $now := now | unixEpoch | int64 }}
{{- /* A minute ahead at least: the CronJob must be created before its only run. */}}
{{- if or (lt $epoch (add $now 60)) (gt $epoch (add $now 86400)) }}
{{- fail (printf "autoDelete.deleteAt (%s) must lie in the future and at most 24 h ahead" .Values.autoDelete.deleteAt) }}
{{- end }}
{{- else }}
{{- $hours := int .Values.autoDelete.ttlHours }}
{{- $at = dateInZone "2006-01-02T15:04:00Z" (now | dateModify (printf "+%dh" $hours)) "UTC" }}
{{- end }}
{{- $_ := set .Values.autoDelete "resolvedDeleteAt" $at }}
{{- end }}
{{- .Values.autoDelete.resolvedDeleteAt }}
{{- end }}

{{/*
CronJob schedule: every day at the deadline's minute (UTC), "m h * * *". The
first run is the deadline itself (the same time the day before lies before the
install: the deadline is at most 24 h ahead); a run that could not finish is
followed by another the next day, never a year later. Within a run the job
retries every few minutes (deletion job: restartPolicy OnFailure).
*/}}
{{- define "wt.deleteSchedule" -}}
{{- $t := toDate "2006-01-02T15:04:05Z07:00" (include "wt.deleteAt" .) }}
{{- /* atoi, not int: int reads "08" and "09" (Go's only hour layout pads) as octal, 0. */}}
{{- $minute := dateInZone "4" $t "UTC" | atoi }}
{{- $hour := dateInZone "15" $t "UTC" | atoi }}
{{- printf "%d %d * * *" $minute $hour }}
{{- end }}

{{/*
The DNS egress rule, or nothing when security.dns.enabled is off (the default:
neither pod resolves names; the deletion job reaches the API server at the
address Kubernetes puts in KUBERNETES_SERVICE_HOST). When on, it reaches the
cluster DNS pods only: a rule without "to", or with an ipBlock, would let
traffic on port 53 reach any machine.
*/}}
{{- define "wt.dnsEgressRule" -}}
{{- $dns := .Values.security.dns }}
{{- if $dns.enabled }}
{{- if not $dns.to }}
{{- fail "security.dns.to must name the cluster DNS pods (an empty list would allow any destination)" }}
{{- end }}
{{- range $dns.to }}
{{- if or (hasKey . "ipBlock") (not (or (hasKey . "namespaceSelector") (hasKey . "podSelector"))) }}
{{- fail "security.dns.to: each peer needs a namespaceSelector and/or podSelector, and no ipBlock" }}
{{- end }}
{{- end }}
- to:
    {{- toYaml $dns.to | nindent 4 }}
  ports:
    {{- range $dns.ports }}
    - protocol: UDP
      port: {{ . }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end }}
{{- end }}

{{/* A Kubernetes quantity as the schema allows it ("50Gi", "1.5G", "800Mi"), in bytes. */}}
{{- define "wt.bytes" -}}
{{- $quantity := toString . }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $quantity }}
{{- $factors := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $suffix := trimPrefix $number $quantity }}
{{- if not (hasKey $factors $suffix) }}
{{- fail (printf "%q is not a quantity such as 50Gi" $quantity) }}
{{- end }}
{{- mulf $number (index $factors $suffix) }}
{{- end }}

{{/*
data.inMemory: both emptyDirs are tmpfs, charged to the container's memory. If
they may hold as much as the memory limit, filling them gets the pod
OOM-killed mid-transcription (and the data lost): refuse to render instead.
*/}}
{{- define "wt.checkInMemory" -}}
{{- if .Values.data.inMemory }}
{{- $files := addf (include "wt.bytes" .Values.data.sizeLimit) (include "wt.bytes" .Values.data.tmpSizeLimit) }}
{{- $limit := include "wt.bytes" .Values.resources.limits.memory | float64 }}
{{- if ge $files $limit }}
{{- fail (printf "data.inMemory keeps /data (data.sizeLimit %s) and /tmp (data.tmpSizeLimit %s) in RAM, which may then take the whole memory limit (resources.limits.memory %s) and get the pod OOM-killed: lower the size limits or raise the memory limit so that the files and the app (several GiB) both fit" .Values.data.sizeLimit .Values.data.tmpSizeLimit .Values.resources.limits.memory) }}
{{- end }}
{{- if eq (include "wt.launcher" .) "kubernetes" }}
{{- /* A GPU worker keeps its scratch /tmp (same medium) under its own memory limit. */}}
{{- if ge (include "wt.bytes" .Values.data.tmpSizeLimit | float64) (include "wt.bytes" .Values.worker.resources.limits.memory | float64) }}
{{- fail (printf "data.inMemory keeps the GPU worker's /tmp (data.tmpSizeLimit %s) in RAM, which may then take the worker's whole memory limit (worker.resources.limits.memory %s) and get it OOM-killed: lower the size limit or raise the worker's memory limit" .Values.data.tmpSizeLimit .Values.worker.resources.limits.memory) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Placement of the app and deletion pods: region settings, plus the GPU's when the app holds one. */}}
{{- define "wt.tolerations" -}}
{{- $tolerations := concat (.Values.tolerations | default (list)) (ternary (.Values.gpu.tolerations | default (list)) (list) (eq (include "wt.appHasGpu" .) "true")) }}
{{- with $tolerations }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* The app pod's node selector: the region's, plus the GPU's when the app holds one. */}}
{{- define "wt.nodeSelector" -}}
{{- $gpu := ternary (.Values.gpu.nodeSelector | default (dict)) (dict) (eq (include "wt.appHasGpu" .) "true") }}
{{- with merge (dict) (.Values.nodeSelector | default (dict)) $gpu }}
{{- toYaml . }}
{{- end }}
{{- end }}


{{/* The Onyxia project (group) namespace the release runs in, or "" (a user namespace). */}}
{{- define "wt.projectNamespace" -}}
{{- $prefix := .Values.privacy.projectNamespacePrefix }}
{{- if and $prefix (hasPrefix $prefix .Release.Namespace) }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/* The data-rules notice in the NOTES' language, "" when turned off. */}}
{{- define "wt.privacyNotice" -}}
{{- $notice := .Values.privacy.notice }}
{{- if $notice.enabled }}
{{- ternary $notice.fr $notice.en (eq (include "wt.language" .) "fr") | default $notice.en | default $notice.fr | trim }}
{{- end }}
{{- end }}

{{/* TRANSCRIBE_PRIVACY_NOTICE: the texts as JSON, or "off". */}}
{{- define "wt.privacyNoticeEnv" -}}
{{- $notice := .Values.privacy.notice }}
{{- if $notice.enabled }}
{{- dict "fr" (trim $notice.fr) "en" (trim $notice.en) | toJson }}
{{- else }}
{{- "off" }}
{{- end }}
{{- end }}

{{/* data.sizeLimit in MiB (rounded down), for TRANSCRIBE_DATA_LIMIT_MB. */}}
{{- define "wt.dataLimitMB" -}}
{{- divf (include "wt.bytes" .Values.data.sizeLimit) 1048576 | floor | int64 }}
{{- end }}

{{/* Disk the pod may fill: both emptyDirs (none when they live in memory). */}}
{{- define "wt.ephemeralStorage" -}}
{{- $bytes := addf (include "wt.bytes" .Values.data.sizeLimit) (include "wt.bytes" .Values.data.tmpSizeLimit) }}
{{- printf "%dMi" (divf $bytes 1048576 | ceil | int64) }}
{{- end }}

{{/*
Pod annotation that changes with the password, so that a new password restarts
the pod. A keyed hash: sha256 of a random key and the password. The key lives
in the Secret (kept across upgrades by lookup), so someone who can read pods but
not secrets cannot test password guesses against the annotation.
*/}}
{{- define "wt.passwordKey" -}}
{{- if not (hasKey .Values.security "resolvedPasswordKey") }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "wt.fullname" .) }}
{{- $key := dig "data" "annotationKey" "" $existing | b64dec }}
{{- $_ := set .Values.security "resolvedPasswordKey" ($key | default (randAlphaNum 32)) }}
{{- end }}
{{- .Values.security.resolvedPasswordKey }}
{{- end }}

{{- define "wt.passwordVersion" -}}
{{- printf "%s:%s" (include "wt.passwordKey" .) .Values.security.password | sha256sum }}
{{- end }}

{{/*
Memory floor of the app container's limit (README, "Memory"): Whisper large-v3 and
speaker detection on a 3-hour recording with a GPU; small/base on the CPU.
*/}}
{{- define "wt.memoryFloor" -}}
{{- ternary "12Gi" "8Gi" .Values.gpu.enabled }}
{{- end }}

{{/*
Requests above limits: Kubernetes would refuse the pod with an error users cannot act
on; a memory limit below the floor: the pod would be OOM-killed mid-transcription.
Onyxia shows these messages when the launch fails (both languages: Helm has no locale).
*/}}
{{- define "wt.checkResources" -}}
{{- include "wt.checkPodResources" (dict "resources" .Values.resources "floor" (include "wt.memoryFloor" .) "path" "resources" "form" "Resources" "formFr" "Ressources") }}
{{- if eq (include "wt.launcher" .) "kubernetes" }}
{{- include "wt.checkPodResources" (dict "resources" .Values.worker.resources "floor" "12Gi" "path" "worker.resources" "form" "GPU worker > Resources" "formFr" "Worker GPU > Ressources") }}
{{- end }}
{{- end }}

{{/* One pod's resources (dict: resources, floor, path, form, formFr): see wt.checkResources. */}}
{{- define "wt.checkPodResources" -}}
{{- $r := .resources }}
{{- $floor := .floor }}
{{- if lt (include "wt.bytes" $r.limits.memory | float64) (include "wt.bytes" $floor | float64) }}
{{- fail (printf "Memory limit %s is below the %s this service needs (Whisper and speaker detection on a 3-hour recording): raise %s > limits > Memory to %s or more. / La limite de mémoire %s est inférieure aux %s nécessaires : passez %s > limites > Mémoire à %s ou plus." $r.limits.memory $floor .form $floor $r.limits.memory $floor .formFr $floor) }}
{{- end }}
{{- if gt (include "wt.bytes" $r.requests.memory | float64) (include "wt.bytes" $r.limits.memory | float64) }}
{{- fail (printf "%s.requests.memory (%s) is above %s.limits.memory (%s): raise the limit or lower the request" .path $r.requests.memory .path $r.limits.memory) }}
{{- end }}
{{- if gt (include "wt.millicores" $r.requests.cpu | float64) (include "wt.millicores" $r.limits.cpu | float64) }}
{{- fail (printf "%s.requests.cpu (%s) is above %s.limits.cpu (%s): raise the limit or lower the request" .path $r.requests.cpu .path $r.limits.cpu) }}
{{- end }}
{{- end }}

{{/* A CPU quantity ("4000m", "2", "1.5") in millicores. */}}
{{- define "wt.millicores" -}}
{{- $quantity := toString . }}
{{- if hasSuffix "m" $quantity }}
{{- trimSuffix "m" $quantity | float64 }}
{{- else }}
{{- mulf $quantity 1000 }}
{{- end }}
{{- end }}

{{/* Environment of every container that runs the app's code (app, GPU worker). */}}
{{- define "wt.quietEnv" -}}
# Offline and silent, as in the image: no model download, no telemetry.
- name: HF_HUB_OFFLINE
  value: "1"
- name: TRANSFORMERS_OFFLINE
  value: "1"
- name: HF_HUB_DISABLE_TELEMETRY
  value: "1"
- name: STREAMLIT_BROWSER_GATHER_USAGE_STATS
  value: "false"
- name: PYANNOTE_METRICS_ENABLED
  value: "false"
- name: DO_NOT_TRACK
  value: "1"
# The root filesystem is read-only: caches go to the /tmp emptyDir.
- name: XDG_CACHE_HOME
  value: /tmp/cache
- name: MPLCONFIGDIR
  value: /tmp/matplotlib
- name: NUMBA_CACHE_DIR
  value: /tmp/numba
{{- end }}
