{{/*
The GPU worker's Job (gpu.mode while-transcribing), a complete batch/v1 manifest that
the app reads from the "<name>-worker-job" ConfigMap and completes per launch (the
app's kubernetes launcher): its own name, the label transcribe/launch, an
ownerReference to the StatefulSet and TRANSCRIBE_WORKER_TOKEN. Kubernetes' "Job with a work queue": the pod
takes queued jobs from the app until the queue stays empty for worker.idleSeconds.

No activeDeadlineSeconds: it also counts the time spent Pending waiting for a GPU; the
app enforces its own time limit from the moment the pod runs. backoffLimit 0: a failed
pod fails its job with a reason, the app decides what comes next.
*/}}
{{- define "wt.workerJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  generateName: {{ include "wt.workerName" . }}-
  labels:
    {{- include "wt.workerLabels" . | nindent 4 }}
spec:
  backoffLimit: 0
  # One pod per Job; the app may raise it, up to worker.maxParallel pods in all.
  parallelism: 1
  ttlSecondsAfterFinished: {{ .Values.worker.ttlSecondsAfterFinished | int }}
  template:
    metadata:
      labels:
        {{- include "wt.workerLabels" . | nindent 8 }}
    spec:
      restartPolicy: Never
      # The worker never talks to the Kubernetes API; it finds the app's worker Service
      # through the <SERVICE>_SERVICE_HOST/_PORT variables, so it needs no DNS.
      automountServiceAccountToken: false
      enableServiceLinks: true
      # Nothing to save on the way out: a stopped worker fails its job, which says so.
      terminationGracePeriodSeconds: 10
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      {{- with merge (dict) (.Values.nodeSelector | default (dict)) (.Values.worker.nodeSelector | default (dict)) }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with concat (.Values.tolerations | default (list)) (.Values.worker.tolerations | default (list)) }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: worker
          image: {{ include "wt.image" . | quote }}
          imagePullPolicy: {{ .Values.service.image.pullPolicy }}
          command: ["transcribe-worker"]
          env:
            - name: TRANSCRIBE_DEVICE
              value: cuda
            - name: TRANSCRIBE_WORKER_SERVICE
              value: {{ include "wt.workerName" . | quote }}
            # Only if the service-link variables are missing (then through DNS).
            - name: TRANSCRIBE_WORKER_PORT
              value: {{ .Values.worker.port | quote }}
            - name: TRANSCRIBE_WORKER_IDLE_SECONDS
              value: {{ .Values.worker.idleSeconds | int | quote }}
            {{- include "wt.quietEnv" . | nindent 12 }}
          resources:
            requests:
              cpu: {{ .Values.worker.resources.requests.cpu | quote }}
              memory: {{ .Values.worker.resources.requests.memory | quote }}
              {{- if not .Values.data.inMemory }}
              ephemeral-storage: {{ .Values.data.tmpSizeLimit | quote }}
              {{- end }}
            limits:
              cpu: {{ .Values.worker.resources.limits.cpu | quote }}
              memory: {{ .Values.worker.resources.limits.memory | quote }}
              nvidia.com/gpu: {{ index .Values.worker.resources.limits "nvidia.com/gpu" | quote }}
          securityContext:
            {{- toYaml .Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # Scratch space (audio being decoded), on the same medium as the app's /data.
        - name: tmp
          emptyDir:
            {{- if .Values.data.inMemory }}
            medium: Memory
            {{- end }}
            sizeLimit: {{ .Values.data.tmpSizeLimit | quote }}
{{- end }}
