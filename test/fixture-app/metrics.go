// The app's own metrics, in Prometheus' text exposition format (version 0.0.4) written by
// hand: the fixture is standard library only, and the format is a few lines of text.
//
// Every request is counted except GET /metrics itself (a scrape every second would swamp
// the figures), kubelet probes of /healthz included, as an app instrumented with a common
// middleware would count them: analysis queries select the API with path=~"/api/.*".
// Label values come from fixed sets, so a scanner requesting random URLs cannot make
// series without bound: `path` is a route's path, or "other" for a path no route has;
// `method` is a standard method, or "other".
package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Upper bounds, in seconds, of the latency histogram's buckets: client_golang's defaults,
// what most instrumented apps expose and what users' queries expect.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// routePaths are the paths some route serves (for any method: a wrong method is still
// that path's request).
var routePaths = map[string]bool{
	"/healthz": true, "/api/version": true, "/api/db-status": true, "/api/test-action": true, "/api/flags": true,
}

var standardMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

type requestKey struct{ method, path, code string }
type latencyKey struct{ method, path string }

type histogram struct {
	buckets []uint64 // per bucket, not cumulative; written cumulative
	count   uint64
	sum     float64
}

type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[latencyKey]*histogram
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, latency: map[latencyKey]*histogram{}}
}

// labelPath is the `path` label of a request to pathname.
func labelPath(pathname string) string {
	if routePaths[pathname] {
		return pathname
	}
	return "other"
}

func labelMethod(method string) string {
	if standardMethods[method] {
		return method
	}
	return "other"
}

// observe counts one answered request and its duration.
func (m *metrics) observe(method, pathname string, code int, took time.Duration) {
	method, path := labelMethod(method), labelPath(pathname)
	seconds := took.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{method, path, strconv.Itoa(code)}]++
	h := m.latency[latencyKey{method, path}]
	if h == nil {
		h = &histogram{buckets: make([]uint64, len(durationBuckets))}
		m.latency[latencyKey{method, path}] = h
	}
	for i, le := range durationBuckets {
		if seconds <= le {
			h.buckets[i]++
			break
		}
	}
	h.count++
	h.sum += seconds
}

// write renders every series, sorted by label values so that two scrapes of the same
// counts are the same text.
func (m *metrics) write(w io.Writer, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder

	b.WriteString("# HELP shop_build_info The running build: its version (APP_VERSION).\n")
	b.WriteString("# TYPE shop_build_info gauge\n")
	fmt.Fprintf(&b, "shop_build_info{version=%s} 1\n", labelValue(version))

	b.WriteString("# HELP http_requests_total HTTP requests answered, by method, route path and status code.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	requests := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		requests = append(requests, k)
	}
	sort.Slice(requests, func(i, j int) bool {
		a, c := requests[i], requests[j]
		if a.path != c.path {
			return a.path < c.path
		}
		if a.method != c.method {
			return a.method < c.method
		}
		return a.code < c.code
	})
	for _, k := range requests {
		fmt.Fprintf(&b, "http_requests_total{code=%s,method=%s,path=%s} %d\n",
			labelValue(k.code), labelValue(k.method), labelValue(k.path), m.requests[k])
	}

	b.WriteString("# HELP http_request_duration_seconds Time to answer an HTTP request, by method and route path.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	latencies := make([]latencyKey, 0, len(m.latency))
	for k := range m.latency {
		latencies = append(latencies, k)
	}
	sort.Slice(latencies, func(i, j int) bool {
		a, c := latencies[i], latencies[j]
		if a.path != c.path {
			return a.path < c.path
		}
		return a.method < c.method
	})
	for _, k := range latencies {
		h := m.latency[k]
		labels := "method=" + labelValue(k.method) + ",path=" + labelValue(k.path)
		var cumulative uint64
		for i, le := range durationBuckets {
			cumulative += h.buckets[i]
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, formatFloat(le), cumulative)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.count)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{%s} %s\n", labels, formatFloat(h.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{%s} %d\n", labels, h.count)
	}
	_, _ = io.WriteString(w, b.String())
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// labelValue quotes a label value as the text format wants: backslash, double quote and
// line feed escaped, nothing else.
func labelValue(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
