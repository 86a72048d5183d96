// Command shop is the sample app's stand-in: the endpoints the reference smoke-test.sh
// checks, plus switches that make a real kubelet see real failures. Standard library only,
// built static so it runs in the busybox image test/cluster/images.sh makes, and on the host.
//
// HTTP (every answer is application/json, compact, byte for byte what the former
// server.mjs sent; compat.go holds the Node parity details):
//
//	GET  /healthz          {"status":"ok"}, or 503 {"status":"starting"} until READY_AFTER
//	GET  /api/version      {"version": APP_VERSION, or "1.0.0" when unset}
//	GET  /api/db-status    {"connected": DB_CONNECTED != "false"}
//	POST /api/test-action  {"success": body.test === true}; an empty body counts as {};
//	                       400 {"success":false,"error":"body is not JSON"} otherwise
//	GET  /api/flags        FEATURE_FLAGS "a=on,b=off" -> {"a":true,"b":false}
//	GET  /metrics          the app's metrics in Prometheus' text format (metrics.go):
//	                       http_requests_total{code,method,path} and the histogram
//	                       http_request_duration_seconds{method,path}, counting every
//	                       request but GET /metrics; shop_build_info{version} 1
//	anything else          404 {"error":"not found"}
//
// Routes match the method and the URL path only (the query is ignored).
//
// Environment:
//
//	PORT          port to listen on; default 8080; 0 = any free port
//	BIND          address to listen on; default 0.0.0.0 (tests on the host pass 127.0.0.1)
//	APP_VERSION, DB_CONNECTED, FEATURE_FLAGS   as above
//	STARTUP_LOG   printed to stdout at start, one line per newline-separated part (the two
//	              characters \n also separate, for one-line YAML or shell values), so log
//	              tails can be asserted
//	EXIT_CODE     exit with this code (0-255) straight after the startup lines, never
//	              listening: a crash loop, a failing Job or init container; EXIT_MESSAGE,
//	              when set, is printed to stderr first
//	READY_AFTER   a Go duration (5s, 1m30s): /healthz answers 503 {"status":"starting"} until
//	              that long after the process started (failing readiness/startup probes)
//	ALLOCATE_MB   allocate and write every page of that many MiB before listening and hold
//	              them for the life of the process: OOMKilled under a smaller memory limit
//	FAIL_RATE     a share from 0 to 1 (0.2): that share of requests to /api/* answer
//	              500 {"error":"injected failure (FAIL_RATE)"} instead of their route.
//	              Deterministic, so tests are not flaky: the k-th /api/* request since
//	              start fails when floor(k*rate) > floor((k-1)*rate), computed exactly
//	              (0.2 fails the 5th, 10th, 15th...: the first k hold exactly
//	              floor(k*rate) failures)
//	LATENCY       a Go duration (250ms) each /api/* request waits before it is answered
//	              (counted in http_request_duration_seconds)
//	CRASH_AFTER   a Go duration: that long after becoming ready (listening, and past
//	              READY_AFTER when set) the process prints "shop: crashing: CRASH_AFTER
//	              <d> elapsed since ready" to stderr and exits 1 without closing gracefully
//
// Output: stdout gets "shop <version> starting", then the STARTUP_LOG lines, then
// "allocated <n> MiB" when ALLOCATE_MB is set, then exactly "listening <port>" once the
// socket accepts connections (tests parse it). SIGTERM or SIGINT closes the server
// gracefully (in-flight requests finish) and exits 0. A bad setting exits 2 with a message
// on stderr; settings are all checked before anything listens.
//
// Subcommands (first argument):
//
//	pause                     sleep until SIGTERM or SIGINT, then exit 0, reaping zombie
//	                          children meanwhile: the pod sandbox image's entrypoint
//	exit <code> [message...]  print the message to stderr and exit with code: for Jobs
//	                          and init containers via `args:`
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// held keeps ALLOCATE_MB's memory reachable for the life of the process, so the garbage
// collector cannot return it and the container's usage stays above its limit.
var held []byte

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "pause":
			os.Exit(pause())
		case "exit":
			os.Exit(exitCommand(os.Args[2:]))
		default:
			fail("unknown subcommand %q (want pause, or exit <code> [message...])", os.Args[1])
		}
	}
	os.Exit(serve())
}

// fail reports a bad setting or usage and exits 2, so a misconfigured pod fails loudly
// instead of serving defaults.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "shop: "+format+"\n", args...)
	os.Exit(2)
}

func serve() int {
	start := time.Now()

	// `??` in server.mjs: an empty APP_VERSION is kept, only an unset one defaults.
	version, ok := os.LookupEnv("APP_VERSION")
	if !ok {
		version = "1.0.0"
	}
	fmt.Printf("shop %s starting\n", version)
	for _, line := range startupLines(os.Getenv("STARTUP_LOG")) {
		fmt.Println(line)
	}

	if code, ok := os.LookupEnv("EXIT_CODE"); ok && code != "" {
		n, err := strconv.Atoi(code)
		if err != nil || n < 0 || n > 255 {
			fail("EXIT_CODE %q is not a number from 0 to 255", code)
		}
		if msg := os.Getenv("EXIT_MESSAGE"); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return n
	}

	port := 8080
	if p := os.Getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			fail("PORT %q is not a port number", p)
		}
		port = n
	}
	bind := os.Getenv("BIND")
	if bind == "" {
		bind = "0.0.0.0"
	}
	var readyAt time.Time
	if d := os.Getenv("READY_AFTER"); d != "" {
		after, err := time.ParseDuration(d)
		if err != nil || after < 0 {
			fail("READY_AFTER %q is not a duration such as 5s", d)
		}
		readyAt = start.Add(after)
	}
	failRate := parseFailRate(os.Getenv("FAIL_RATE"))
	latency := nonNegativeDuration("LATENCY", os.Getenv("LATENCY"))
	crashAfter := time.Duration(-1)
	if d := os.Getenv("CRASH_AFTER"); d != "" {
		crashAfter = nonNegativeDuration("CRASH_AFTER", d)
	}
	if mb := os.Getenv("ALLOCATE_MB"); mb != "" {
		n, err := strconv.Atoi(mb)
		if err != nil || n < 0 {
			fail("ALLOCATE_MB %q is not a whole number of MiB", mb)
		}
		allocate(n)
		fmt.Printf("allocated %d MiB\n", n)
	}

	app := &app{
		version:   version,
		connected: os.Getenv("DB_CONNECTED") != "false",
		flags:     parseFlags(os.Getenv("FEATURE_FLAGS")),
		readyAt:   readyAt,
		failRate:  failRate,
		latency:   latency,
		metrics:   newMetrics(),
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "shop: %v\n", err)
		return 1
	}
	// DisableGeneralOptionsHandler: "OPTIONS *" is routed (a 404), as server.mjs did.
	srv := &http.Server{Handler: app, ReadHeaderTimeout: time.Minute, DisableGeneralOptionsHandler: true}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// Printed only once the socket is listening: tests wait for this line, then connect.
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	crash := crashTimer(crashAfter, readyAt)

	stop, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	select {
	case err := <-served:
		fmt.Fprintf(os.Stderr, "shop: %v\n", err)
		return 1
	case <-crash:
		// A crash, not a shutdown: connections are dropped as a dying process drops them.
		fmt.Fprintf(os.Stderr, "shop: crashing: CRASH_AFTER %s elapsed since ready\n", crashAfter)
		return 1
	case <-stop.Done():
	}
	// Graceful like server.close(): stop accepting, let in-flight requests finish. The
	// bound keeps a stuck client from outliving a kubelet's grace period by much.
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "shop: %v\n", err)
	}
	return 0
}

// startupLines splits STARTUP_LOG into the lines to print; a trailing separator does not
// add an empty line.
func startupLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(strings.ReplaceAll(s, `\n`, "\n"), "\n")
	return strings.Split(s, "\n")
}

// allocate makes n MiB resident: writing one byte per page forces the kernel to back every
// page, which an untouched allocation would not (it stays zero-page mapped, uncharged).
func allocate(n int) {
	held = make([]byte, n<<20)
	page := os.Getpagesize()
	for i := 0; i < len(held); i += page {
		held[i] = 1
	}
}

type app struct {
	version   string
	connected bool
	flags     flagSet
	readyAt   time.Time
	failRate  *big.Rat // nil: none fail
	latency   time.Duration
	metrics   *metrics
	// apiRequests counts /api/* requests since start, FAIL_RATE's k.
	apiRequests atomic.Uint64
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	path := pathname(r)
	if r.Method == "GET" && path == "/metrics" {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		a.metrics.write(w, a.version)
		return
	}
	var status int
	var payload string
	if strings.HasPrefix(path, "/api/") {
		status, payload = a.misbehave(r)
	}
	if status == 0 {
		status, payload = a.route(r)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, payload)
	a.metrics.observe(r.Method, path, status, time.Since(started))
}

func (a *app) route(r *http.Request) (int, string) {
	switch r.Method + " " + pathname(r) {
	case "GET /healthz":
		if time.Now().Before(a.readyAt) {
			return http.StatusServiceUnavailable, `{"status":"starting"}`
		}
		return http.StatusOK, `{"status":"ok"}`
	case "GET /api/version":
		return http.StatusOK, `{"version":` + jsString(a.version) + `}`
	case "GET /api/db-status":
		return http.StatusOK, `{"connected":` + strconv.FormatBool(a.connected) + `}`
	case "POST /api/test-action":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return http.StatusBadRequest, `{"success":false,"error":"body is not JSON"}`
		}
		success, ok := testActionSuccess(body)
		if !ok {
			return http.StatusBadRequest, `{"success":false,"error":"body is not JSON"}`
		}
		return http.StatusOK, `{"success":` + strconv.FormatBool(success) + `}`
	case "GET /api/flags":
		return http.StatusOK, a.flags.json()
	}
	return http.StatusNotFound, `{"error":"not found"}`
}

// pause is the pod sandbox's process: it holds the pod's namespaces open and does nothing
// else. As PID 1 of a shared PID namespace it would inherit orphans, so it reaps them.
func pause() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			return 0
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
	return 0
}

// exitCommand implements `shop exit <code> [message...]`.
func exitCommand(args []string) int {
	if len(args) == 0 {
		fail("usage: shop exit <code> [message...]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 || n > 255 {
		fail("exit code %q is not a number from 0 to 255", args[0])
	}
	if msg := strings.Join(args[1:], " "); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	return n
}
