// Package tracingtest records spans in memory, for tests of code that
// takes part in traces through package tracing or the OpenTelemetry API:
// a Recorder is a trace.TracerProvider whose tracers record every span
// they start, with its parent, kind, attributes and status, and which needs
// no SDK.
//
//	rec := tracingtest.NewRecorder()
//	ctx, root := rec.Tracer("test").Start(context.Background(), "test")
//	// ... code under test, with ctx ...
//	root.End()
//	for _, s := range rec.Ended() { ... }
package tracingtest
