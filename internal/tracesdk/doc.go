// Package tracesdk is the OpenTelemetry SDK of the servers: Start reads
// the standard OTEL_* variables once, at start, and either builds a tracer
// provider that exports spans over OTLP/HTTP in batches, or, when no OTLP
// endpoint is set, nothing at all: the servers then install no tracing
// middleware and start no span, and tracing costs them nothing.
//
// Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT (a base URL, to which
// /v1/traces is added) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the URL
// spans are posted to) is set, unless OTEL_SDK_DISABLED is true or
// OTEL_TRACES_EXPORTER is none. The protocol (OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) is http/protobuf, the default, or
// http/json; grpc is not built in. OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG choose the sampler (default
// parentbased_always_on: a request is traced unless its traceparent says
// its caller did not sample it). These are read with the getenv given to
// Start, and a wrong value is an error rather than a silent default.
//
// The SDK itself reads the other standard variables from the process
// environment: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (over the
// service name given to Start), OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_COMPRESSION,
// OTEL_EXPORTER_OTLP_CERTIFICATE and their _TRACES_ forms, and the batch
// settings OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT,
// OTEL_BSP_MAX_QUEUE_SIZE and OTEL_BSP_MAX_EXPORT_BATCH_SIZE.
//
// This package belongs to the servers: the published module pkg uses the
// OpenTelemetry API only (package pkg/tracing), and a service built on it
// chooses its own SDK, or none.
package tracesdk
