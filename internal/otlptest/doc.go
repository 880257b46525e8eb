// Package otlptest is an OTLP/HTTP trace receiver for tests, on loopback:
// it decodes the ExportTraceServiceRequest messages (protobuf, or JSON)
// that exporters post to /v1/traces, answers as a collector does, and
// keeps the spans, flattened with the service.name of their resource, for
// the test to read while servers still send them.
package otlptest
