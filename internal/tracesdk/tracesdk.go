package tracesdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/internal/settings"
)

// The variables Start reads with its getenv.
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvExporter       = "OTEL_TRACES_EXPORTER"
	EnvDisabled       = "OTEL_SDK_DISABLED"
	EnvSampler        = "OTEL_TRACES_SAMPLER"
	EnvSamplerArg     = "OTEL_TRACES_SAMPLER_ARG"
)

// tracesPath is added to OTEL_EXPORTER_OTLP_ENDPOINT, as the OTLP
// specification says.
const tracesPath = "/v1/traces"

// Tracing is a server's tracing: a tracer provider exporting over OTLP,
// or nothing.
type Tracing struct {
	provider *sdktrace.TracerProvider // nil when off
	endpoint string
	logger   *slog.Logger
}

// Config is what the variables ask for.
type Config struct {
	Endpoint string // where spans are posted; "" when tracing is off
	JSON     bool   // http/json rather than http/protobuf
	Sampler  sdktrace.Sampler
}

// Read reads the variables with getenv and says whether tracing is on
// (cfg.Endpoint is set) and how; it returns every problem it finds.
func Read(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error
	if v := strings.TrimSpace(getenv(EnvDisabled)); strings.EqualFold(v, "true") {
		return cfg, nil
	} else if v != "" && !strings.EqualFold(v, "false") {
		errs = append(errs, fmt.Errorf("%s=%q is not true or false", EnvDisabled, v))
	}
	switch v := strings.TrimSpace(getenv(EnvExporter)); strings.ToLower(v) {
	case "", "otlp":
	case "none":
		return cfg, errors.Join(errs...)
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not supported: otlp or none", EnvExporter, v))
	}
	endpoint, name := strings.TrimSpace(getenv(EnvTracesEndpoint)), EnvTracesEndpoint
	if endpoint == "" {
		endpoint, name = strings.TrimSpace(getenv(EnvEndpoint)), EnvEndpoint
		if endpoint != "" {
			endpoint = strings.TrimSuffix(endpoint, "/") + tracesPath
		}
	}
	if endpoint == "" {
		return cfg, errors.Join(errs...)
	}
	if p := settings.HTTPURLProblem(endpoint); p != "" {
		errs = append(errs, fmt.Errorf("%s %s", name, p))
	}
	cfg.Endpoint = endpoint
	protocol, name := strings.TrimSpace(getenv(EnvTracesProtocol)), EnvTracesProtocol
	if protocol == "" {
		protocol, name = strings.TrimSpace(getenv(EnvProtocol)), EnvProtocol
	}
	switch protocol {
	case "", "http/protobuf":
	case "http/json":
		cfg.JSON = true
	case "grpc":
		errs = append(errs, fmt.Errorf("%s=grpc is not supported: use http/protobuf (the OTLP/HTTP port, 4318)", name))
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not http/protobuf or http/json", name, protocol))
	}
	var err error
	if cfg.Sampler, err = sampler(getenv); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// sampler is the sampler of OTEL_TRACES_SAMPLER and its argument.
func sampler(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.ToLower(strings.TrimSpace(getenv(EnvSampler)))
	arg := strings.TrimSpace(getenv(EnvSamplerArg))
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("%s=%q is not a ratio between 0 and 1", EnvSamplerArg, arg)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return ratio()
	case "parentbased_traceidratio":
		s, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(s), nil
	}
	return nil, fmt.Errorf("%s=%q is not supported: always_on, always_off, traceidratio, "+
		"parentbased_always_on, parentbased_always_off or parentbased_traceidratio", EnvSampler, name)
}

// Start reads the variables with getenv (see Read) and, if they turn
// tracing on, starts a tracer provider for the service named service
// (the default service.name) that exports its spans in batches. Export
// failures are logged to logger. Call Shutdown when the server stops, so
// that the last spans are sent.
func Start(ctx context.Context, service string, getenv func(string) string, logger *slog.Logger) (*Tracing, error) {
	cfg, err := Read(getenv)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if cfg.Endpoint == "" {
		return &Tracing{}, nil
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(cfg.Endpoint)}
	if cfg.JSON {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// The service's name first: OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	// Errors of the SDK (failed exports, mostly) go to the server's log.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: the OpenTelemetry SDK failed", "err", err)
	}))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(cfg.Sampler),
	)
	logger.Info("tracing: exporting spans over OTLP", "endpoint", cfg.Endpoint,
		"service", serviceName(res, service))
	return &Tracing{provider: tp, endpoint: cfg.Endpoint, logger: logger}, nil
}

// serviceName is the service.name of res.
func serviceName(res *resource.Resource, def string) string {
	if v, ok := res.Set().Value("service.name"); ok {
		return v.AsString()
	}
	return def
}

// TracerProvider is the provider of the server's tracers, or nil when
// tracing is off: nil tells the server to trace nothing.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t.provider == nil {
		return nil
	}
	return t.provider
}

// Shutdown sends the spans not sent yet and stops the provider, within
// ctx. With tracing off it does nothing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: sending the last spans to %s: %w", t.endpoint, err)
	}
	return nil
}

// FlushTimeout bounds the sending of the last spans when a server stops.
const FlushTimeout = 5 * time.Second

// Stop is Shutdown for a server that stops because ctx ended: within
// FlushTimeout of now, whether ctx is done or not, logging a failure.
func (t *Tracing) Stop(ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
	defer cancel()
	if err := t.Shutdown(sctx); err != nil {
		t.logger.Warn("tracing: the last spans were not sent", "err", err)
	}
}
