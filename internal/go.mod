module github.com/fastsafe/fastsafe/internal

go 1.26.0

require github.com/fastsafe/fastsafe/pkg v0.0.0

replace github.com/fastsafe/fastsafe/pkg => ../pkg
