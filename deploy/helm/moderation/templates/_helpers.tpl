{{/* The roles this chart deploys, each a Deployment of the same image. */}}
{{- define "moderation.services" -}}
api scanner classifier actioner fetcher
{{- end }}

{{- define "moderation.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{- define "moderation.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* Selector labels of one role; call with (dict "root" $ "component" "api"). */}}
{{- define "moderation.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "moderation.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the Kafka CA is mounted (KAFKA_TLS_CA_PATH). */}}
{{- define "moderation.kafkaCaPath" -}}
{{- if .Values.kafka.caConfigMap -}}
/etc/moderation/kafka-ca/{{ .Values.kafka.caKey }}
{{- end -}}
{{- end }}

{{/* Kafka client settings (not secret) shared by the services and the set-up job. */}}
{{- define "moderation.kafkaEnv" -}}
KAFKA_BROKERS: {{ .Values.kafka.brokers | quote }}
KAFKA_SASL_MECHANISM: {{ .Values.kafka.saslMechanism | quote }}
KAFKA_TLS: {{ .Values.kafka.tls | toString | quote }}
KAFKA_TLS_CA_PATH: {{ include "moderation.kafkaCaPath" . | quote }}
TOPIC_PREFIX: {{ .Values.kafka.topicPrefix | quote }}
{{- end }}

{{/* Container securityContext of every pod: nothing to escalate, nothing to write but the mounted volumes. */}}
{{- define "moderation.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "moderation.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The Kafka CA volume, when the brokers' CA is given. */}}
{{- define "moderation.kafkaCaVolume" -}}
{{- if .Values.kafka.caConfigMap -}}
- name: kafka-ca
  configMap:
    name: {{ .Values.kafka.caConfigMap }}
{{- end }}
{{- end }}

{{- define "moderation.kafkaCaMount" -}}
{{- if .Values.kafka.caConfigMap -}}
- name: kafka-ca
  mountPath: /etc/moderation/kafka-ca
  readOnly: true
{{- end }}
{{- end }}

{{/* A Kafka principal's credentials and the database URL, from the role's Secret (the URL from
databaseSecretName's when given). */}}
{{- define "moderation.secretEnv" -}}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: KAFKA_SASL_USERNAME
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: KAFKA_SASL_PASSWORD
{{- if .database }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .databaseSecretName | default .secretName }}
      key: DATABASE_URL
{{- end }}
{{- end }}

{{/*
The API's per-credential rate limit of one replica (API_RATE_LIMIT_PER_S, API_RATE_LIMIT_BURST). Each replica keeps
its buckets in memory, so a credential gets each replica's limit once per replica: the values give the total
(api.rateLimit), each replica gets its share, rounded down. The replicas counted are the most there can be: with
autoscaling maxReplicas (fewer running give less than the total, never more), else api.replicas.
*/}}
{{- define "moderation.apiRateLimitEnv" -}}
{{- $api := .Values.api -}}
{{- $replicas := int (ternary $api.autoscaling.maxReplicas $api.replicas $api.autoscaling.enabled) -}}
{{- $perSecond := divf (floor (divf (mulf $api.rateLimit.perSecond 1000) $replicas)) 1000 -}}
{{- $burst := div (int $api.rateLimit.burst) $replicas -}}
{{- if lt $perSecond 0.001 -}}
{{- fail (printf "api.rateLimit.perSecond (%v) shared by %d API replicas leaves each less than 0.001 a second" $api.rateLimit.perSecond $replicas) -}}
{{- end -}}
{{- if lt $burst 1 -}}
{{- fail (printf "api.rateLimit.burst (%v) shared by %d API replicas leaves each less than one request" $api.rateLimit.burst $replicas) -}}
{{- end -}}
API_RATE_LIMIT_PER_S: {{ $perSecond | toString | quote }}
API_RATE_LIMIT_BURST: {{ $burst | toString | quote }}
{{- end }}
