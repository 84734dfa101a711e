//go:build tools

// Package tools pins the modules the lab depends on before every package uses them.
package tools

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/panjf2000/gnet/v2"
	_ "github.com/valyala/fasthttp"
	_ "golang.org/x/perf/benchmath"
	_ "gonum.org/v1/plot"
	_ "gopkg.in/yaml.v3"
)
