{{/* Deletion plans: what the deletion job (self-delete-*.yaml) and, with autoDelete.fromApp, the app (app-delete-rbac.yaml) remove. */}}

{{/*
Helm keeps one secret per release revision: sh.helm.release.v1.<release>.v<N>.
RBAC resourceNames cannot hold a pattern, so the Role names revisions 1 to
(current revision + 10): upgrades re-render the list, the margin covers
rollbacks, which re-apply an older manifest.
*/}}
{{- define "wt.helmReleaseSecrets" -}}
{{- $names := list }}
{{- range $i := until (add .Release.Revision 10 | int) }}
{{- $names = append $names (printf "sh.helm.release.v1.%s.v%d" $.Release.Name (add $i 1)) }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/*
The release record: Helm's secrets, then the one onyxia-api adds with the
service's display name (owned by revision 1's secret, so normally already
garbage-collected; deleting it too costs nothing).
*/}}
{{- define "wt.releaseRecordSecrets" -}}
{{- $names := include "wt.helmReleaseSecrets" . | fromJsonArray }}
{{- append $names (printf "sh.onyxia.release.v1.%s" .Release.Name) | toJson }}
{{- end }}

{{/*
What transcribe-self-delete removes, in order (JSON, passed in SELF_DELETE_PLAN).
  delete:    deleted one by one; "wait" polls until the object is gone.
  ownByJob:  given an ownerReference to the running Job, so that the garbage
             collector removes them with it (the job cannot delete its own
             RoleBinding and carry on).
  last:      deleted at the very end; the garbage collector then removes the
             Job, its pod and everything in ownByJob.
The Role in self-delete-rbac.yaml grants exactly these names. The GPU workers' Jobs
(gpu.mode while-transcribing) have generated names and are not listed: the app gives
each an ownerReference to the StatefulSet, so deleting it (first, with background
propagation) has the garbage collector remove them and their pods too.
*/}}
{{- define "wt.selfDeletePlan" -}}
{{- $fullname := include "wt.fullname" . }}
{{- $self := include "wt.selfDeleteName" . }}
{{- $delete := list
  (dict "apiVersion" "apps/v1" "resource" "statefulsets" "name" $fullname)
  (dict "apiVersion" "v1" "resource" "pods" "name" (include "wt.podName" .) "wait" true) }}
{{- if .Values.ingress.enabled }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "ingresses" "name" $fullname) }}
{{- end }}
{{- if .Values.route.enabled }}
{{- $delete = append $delete (dict "apiVersion" "route.openshift.io/v1" "resource" "routes" "name" $fullname) }}
{{- end }}
{{- $kubernetes := eq (include "wt.launcher" .) "kubernetes" }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "services" "name" $fullname) }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "services" "name" (include "wt.workerName" .)) }}
{{- end }}
{{- if include "wt.ingressPolicy" . }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolIngressName" .)) }}
{{- end }}
{{- if .Values.security.denyEgress }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolEgressName" .)) }}
{{- end }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.workerName" .)) }}
{{- end }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "secrets" "name" $fullname) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "configmaps" "name" (include "wt.deadlineName" .)) }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "configmaps" "name" (include "wt.workerJobName" .)) }}
{{- end }}
{{- if include "wt.appUsesApi" . }}
{{- $app := include "wt.appName" . }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolAppApiName" .)) }}
{{- if .Values.autoDelete.fromApp }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" $app) }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" $app) }}
{{- end }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" (include "wt.launcherName" .)) }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" (include "wt.launcherName" .)) }}
{{- end }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "serviceaccounts" "name" $app) }}
{{- end }}
{{- range (include "wt.releaseRecordSecrets" . | fromJsonArray) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "secrets" "name" .) }}
{{- end }}
{{- $own := list
  (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" $self)
  (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" $self)
  (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" $self)
  (dict "apiVersion" "v1" "resource" "serviceaccounts" "name" $self) }}
{{- $last := dict "apiVersion" "batch/v1" "resource" "cronjobs" "name" $self }}
{{- dict "release" .Release.Name "delete" $delete "ownByJob" $own "last" $last | toJson }}
{{- end }}

{{/* autoDelete.fromApp: the app's own identity and its API-server egress policy. */}}
{{- define "wt.appName" -}}{{ include "wt.fullname" . }}-app{{- end }}
{{- define "wt.netpolAppApiName" -}}{{ include "wt.fullname" . }}-app-api{{- end }}

{{/*
What the app's "delete the service now" removes (autoDelete.fromApp), in the format
of "wt.selfDeletePlan", run by the same program (transcribe.self_delete) inside the
app: access and data first, the deletion job's objects, the release record; the
app's own permissions and network policies are handed to its Pod (ownByJob, owner
kind Pod), and the StatefulSet goes last: its Pod, and with it everything it owns,
is then removed by the garbage collector. The Role in app-delete-rbac.yaml grants
exactly these names.
*/}}
{{- define "wt.appDeletePlan" -}}
{{- $fullname := include "wt.fullname" . }}
{{- $self := include "wt.selfDeleteName" . }}
{{- $delete := list }}
{{- if .Values.ingress.enabled }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "ingresses" "name" $fullname) }}
{{- end }}
{{- if .Values.route.enabled }}
{{- $delete = append $delete (dict "apiVersion" "route.openshift.io/v1" "resource" "routes" "name" $fullname) }}
{{- end }}
{{- $kubernetes := eq (include "wt.launcher" .) "kubernetes" }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "services" "name" $fullname) }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "services" "name" (include "wt.workerName" .)) }}
{{- end }}
{{- $delete = append $delete (dict "apiVersion" "batch/v1" "resource" "cronjobs" "name" $self) }}
{{- $delete = append $delete (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" $self) }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" $self) }}
{{- $delete = append $delete (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" $self) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "serviceaccounts" "name" $self) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "secrets" "name" $fullname) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "configmaps" "name" (include "wt.deadlineName" .)) }}
{{- if $kubernetes }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "configmaps" "name" (include "wt.workerJobName" .)) }}
{{- end }}
{{- range (include "wt.releaseRecordSecrets" . | fromJsonArray) }}
{{- $delete = append $delete (dict "apiVersion" "v1" "resource" "secrets" "name" .) }}
{{- end }}
{{- $own := list }}
{{- if include "wt.ingressPolicy" . }}
{{- $own = append $own (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolIngressName" .)) }}
{{- end }}
{{- if .Values.security.denyEgress }}
{{- $own = append $own (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolEgressName" .)) }}
{{- end }}
{{- if $kubernetes }}
{{- $own = append $own (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.workerName" .)) }}
{{- end }}
{{- $app := include "wt.appName" . }}
{{- $own = append $own (dict "apiVersion" "networking.k8s.io/v1" "resource" "networkpolicies" "name" (include "wt.netpolAppApiName" .)) }}
{{- $own = append $own (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" $app) }}
{{- $own = append $own (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" $app) }}
{{- if $kubernetes }}
{{- $own = append $own (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "rolebindings" "name" (include "wt.launcherName" .)) }}
{{- $own = append $own (dict "apiVersion" "rbac.authorization.k8s.io/v1" "resource" "roles" "name" (include "wt.launcherName" .)) }}
{{- end }}
{{- $own = append $own (dict "apiVersion" "v1" "resource" "serviceaccounts" "name" $app) }}
{{- $last := dict "apiVersion" "apps/v1" "resource" "statefulsets" "name" $fullname }}
{{- dict "release" .Release.Name "delete" $delete "ownByJob" $own "last" $last | toJson }}
{{- end }}
