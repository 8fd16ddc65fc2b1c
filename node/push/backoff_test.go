package push

import (
	"testing"
	"time"
)

// schedule lists Delay for every retry and checks it ends after NumRetries.
func schedule(t *testing.T, p RetryPolicy) []time.Duration {
	t.Helper()
	var out []time.Duration
	for retry := 1; retry <= p.NumRetries; retry++ {
		d, ok := p.Delay(retry)
		if !ok {
			t.Fatalf("%+v: retry %d exhausted early", p, retry)
		}
		out = append(out, d)
	}
	for _, retry := range []int{0, -1, p.NumRetries + 1, p.NumRetries + 50} {
		if _, ok := p.Delay(retry); ok {
			t.Fatalf("%+v: Delay(%d) is not exhausted", p, retry)
		}
	}
	return out
}

func secs(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDelayDefaultPolicy(t *testing.T) {
	p := DefaultRetryPolicy()
	if got := schedule(t, p); !equal(got, secs(20, 20, 20)) {
		t.Fatalf("default schedule %v", got)
	}
	if p.TotalDelay() != time.Minute {
		t.Fatalf("default total %v", p.TotalDelay())
	}
}

// AWS's own example: min 20, max 40, three linear retries wait 20, 30, 40.
func TestDelayLinearDocExample(t *testing.T) {
	p := RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 40, NumRetries: 3, BackoffFunction: BackoffLinear}
	if got := schedule(t, p); !equal(got, secs(20, 30, 40)) {
		t.Fatalf("schedule %v", got)
	}
}

// Every function over AWS's graph (10 retries from 5 s to 260 s) starts at
// the minimum, ends at the maximum, never falls and never leaves the range.
func TestDelayBackoffFunctions(t *testing.T) {
	mids := map[string]time.Duration{}
	for _, fn := range []string{BackoffLinear, BackoffArithmetic, BackoffGeometric, BackoffExponential} {
		p := RetryPolicy{MinDelayTarget: 5, MaxDelayTarget: 260, NumRetries: 10, BackoffFunction: fn}
		got := schedule(t, p)
		if len(got) != 10 {
			t.Fatalf("%s: %d delays", fn, len(got))
		}
		if got[0] != 5*time.Second || got[9] != 260*time.Second {
			t.Fatalf("%s: runs %v..%v, want 5s..260s", fn, got[0], got[9])
		}
		for i := 1; i < len(got); i++ {
			if got[i] < got[i-1] {
				t.Fatalf("%s: delay falls at retry %d: %v", fn, i+1, got)
			}
			if got[i] < 5*time.Second || got[i] > 260*time.Second {
				t.Fatalf("%s: delay %v out of range", fn, got[i])
			}
		}
		if fn != BackoffLinear && !(got[4] < got[5] && got[5] < got[6]) {
			t.Fatalf("%s: not strictly rising mid-phase: %v", fn, got)
		}
		mids[fn] = got[4]
		var sum time.Duration
		for _, d := range got {
			sum += d
		}
		if p.TotalDelay() != sum {
			t.Fatalf("%s: TotalDelay %v, sum %v", fn, p.TotalDelay(), sum)
		}
	}
	// Steepness order in the middle of the phase, as in AWS's graph.
	if !(mids[BackoffLinear] > mids[BackoffArithmetic] && mids[BackoffArithmetic] > mids[BackoffGeometric] && mids[BackoffGeometric] > mids[BackoffExponential]) {
		t.Fatalf("mid-phase delays not ordered linear > arithmetic > geometric > exponential: %v", mids)
	}
}

// The phases of AWS's example policy: 3 at once, 2 at the minimum, 10
// exponential from 1 s to 60 s, 35 at the maximum.
func TestDelayPhases(t *testing.T) {
	p, err := ParseDeliveryPolicy(awsPolicyExample)
	if err != nil {
		t.Fatal(err)
	}
	r := p.HealthyRetryPolicy
	got := schedule(t, r)
	if len(got) != 50 {
		t.Fatalf("%d delays, want 50", len(got))
	}
	for i, d := range got {
		retry := i + 1
		switch {
		case retry <= 3:
			if d != 0 {
				t.Fatalf("no-delay retry %d waits %v", retry, d)
			}
		case retry <= 5:
			if d != time.Second {
				t.Fatalf("min-delay retry %d waits %v", retry, d)
			}
		case retry == 6:
			if d != time.Second {
				t.Fatalf("first backoff retry waits %v, want the minimum", d)
			}
		case retry < 15:
			if d <= time.Second || d >= time.Minute || d < got[i-1] {
				t.Fatalf("backoff retry %d waits %v after %v", retry, d, got[i-1])
			}
		default:
			if d != time.Minute {
				t.Fatalf("retry %d waits %v, want the maximum", retry, d)
			}
		}
	}
	if total := r.TotalDelay(); total > MaxTotalRetryTime*time.Second || total < 35*time.Minute {
		t.Fatalf("total %v", total)
	}
}

func TestDelayEdgeCases(t *testing.T) {
	none := RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 0, BackoffFunction: BackoffLinear}
	if got := schedule(t, none); len(got) != 0 || none.TotalDelay() != 0 {
		t.Fatalf("zero retries: %v", got)
	}
	// A lone backoff retry waits the minimum.
	one := RetryPolicy{MinDelayTarget: 3, MaxDelayTarget: 9, NumRetries: 1, BackoffFunction: BackoffExponential}
	if got := schedule(t, one); !equal(got, secs(3)) {
		t.Fatalf("one retry: %v", got)
	}
	// No backoff phase at all: min-delay then max-delay retries.
	split := RetryPolicy{MinDelayTarget: 2, MaxDelayTarget: 7, NumRetries: 4, NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 2, BackoffFunction: BackoffGeometric}
	if got := schedule(t, split); !equal(got, secs(0, 2, 7, 7)) {
		t.Fatalf("no backoff phase: %v", got)
	}
	// Delays land on milliseconds.
	frac := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 2, NumRetries: 4, BackoffFunction: BackoffLinear}
	for _, d := range schedule(t, frac) {
		if d%time.Millisecond != 0 {
			t.Fatalf("delay %v is not whole milliseconds", d)
		}
	}
}
