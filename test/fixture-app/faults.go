// The misbehaviours the soak and analysis tests ask for (FAIL_RATE, LATENCY, CRASH_AFTER;
// documented in main.go's opening comment): deterministic, so a test's counts are exact.
package main

import (
	"math/big"
	"net/http"
	"time"
)

// misbehave applies LATENCY and FAIL_RATE to an /api/* request: the answer to give
// instead of the route's, or status 0 to go on to the route.
func (a *app) misbehave(r *http.Request) (int, string) {
	k := a.apiRequests.Add(1)
	if a.latency > 0 {
		t := time.NewTimer(a.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if failsAt(a.failRate, k) {
		return http.StatusInternalServerError, `{"error":"injected failure (FAIL_RATE)"}`
	}
	return 0, ""
}

// failsAt says whether the k-th request (from 1) fails under rate: when floor(k*rate)
// passes an integer, in exact arithmetic, so 0.2 fails every 5th and 1 fails all.
func failsAt(rate *big.Rat, k uint64) bool {
	if rate == nil || k == 0 {
		return false
	}
	p, q := rate.Num(), rate.Denom()
	floor := func(n uint64) *big.Int {
		x := new(big.Int).Mul(new(big.Int).SetUint64(n), p)
		return x.Quo(x, q)
	}
	return floor(k).Cmp(floor(k-1)) > 0
}

// parseFailRate reads FAIL_RATE: empty or 0 means none fail.
func parseFailRate(s string) *big.Rat {
	if s == "" {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 || r.Cmp(big.NewRat(1, 1)) > 0 {
		fail("FAIL_RATE %q is not a share from 0 to 1 such as 0.2", s)
	}
	if r.Sign() == 0 {
		return nil
	}
	return r
}

// nonNegativeDuration reads a duration setting; empty is 0.
func nonNegativeDuration(name, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		fail("%s %q is not a duration such as 5s", name, s)
	}
	return d
}

// crashTimer fires CRASH_AFTER after the app became ready: now (it has just started
// listening) or at readyAt, whichever is later. Never fires when after is negative (unset).
func crashTimer(after time.Duration, readyAt time.Time) <-chan time.Time {
	if after < 0 {
		return nil
	}
	ready := time.Now()
	if readyAt.After(ready) {
		ready = readyAt
	}
	return time.After(time.Until(ready.Add(after)))
}
