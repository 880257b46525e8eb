module github.com/fastsafe/fastsafe/pkg

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	go.opentelemetry.io/otel v1.47.0
	go.opentelemetry.io/otel/trace v1.47.0
	golang.org/x/oauth2 v0.38.0
)

require github.com/cespare/xxhash/v2 v2.3.0 // indirect
