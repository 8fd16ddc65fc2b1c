package push

import (
	"math"
	"time"
)

// Delay returns how long to wait before retry number retry (1-based; the
// first delivery attempt is not a retry), and false once retries are
// exhausted. The phases follow AWS: NumNoDelayRetries at once,
// NumMinDelayRetries after MinDelayTarget, the backoff phase, then
// NumMaxDelayRetries after MaxDelayTarget. The backoff phase has
// NumRetries minus the other three retries; its first waits MinDelayTarget
// and its last MaxDelayTarget (a lone backoff retry waits MinDelayTarget),
// with BackoffFunction shaping the climb between. Delays are rounded to
// the millisecond and carry no jitter; add it at the call site.
func (p RetryPolicy) Delay(retry int) (time.Duration, bool) {
	if retry < 1 || retry > p.NumRetries {
		return 0, false
	}
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	switch {
	case retry <= p.NumNoDelayRetries:
		return 0, true
	case retry <= p.NumNoDelayRetries+p.NumMinDelayRetries:
		return seconds(lo), true
	case retry <= p.NumNoDelayRetries+p.NumMinDelayRetries+backoff:
		i := retry - p.NumNoDelayRetries - p.NumMinDelayRetries
		return seconds(backoffDelay(p.BackoffFunction, lo, hi, i, backoff)), true
	default:
		return seconds(hi), true
	}
}

// TotalDelay is the sum of every retry's delay: how long after the first
// attempt the last retry starts, ignoring the attempts' own duration. AWS
// caps it at MaxTotalRetryTime seconds.
func (p RetryPolicy) TotalDelay() time.Duration {
	var total time.Duration
	for retry := 1; ; retry++ {
		d, ok := p.Delay(retry)
		if !ok {
			return total
		}
		total += d
	}
}

// backoffDelay is the delay in seconds of backoff retry i of n, between lo
// and hi:
//
//	linear       lo + (hi-lo)·x, x = (i-1)/(n-1)
//	arithmetic   the step grows by a constant: lo + (hi-lo)·T(i-1)/T(n-1), T(k) = k(k+1)/2
//	geometric    a constant ratio: lo·(hi/lo)^x
//	exponential  the step doubles: lo + (hi-lo)·(2^(i-1)-1)/(2^(n-1)-1)
//
// AWS names these functions and draws them rising from the minimum to the
// maximum delay but publishes no formulas; these are deterministic curves
// with the same end points and the same order of steepness.
func backoffDelay(fn string, lo, hi float64, i, n int) float64 {
	if n <= 1 || hi <= lo {
		return lo
	}
	x := float64(i-1) / float64(n-1)
	var d float64
	switch fn {
	case BackoffArithmetic:
		t := func(k int) float64 { return float64(k) * float64(k+1) / 2 }
		d = lo + (hi-lo)*t(i-1)/t(n-1)
	case BackoffGeometric:
		if lo <= 0 {
			return lo + (hi-lo)*x
		}
		d = lo * math.Pow(hi/lo, x)
	case BackoffExponential:
		d = lo + (hi-lo)*(math.Exp2(float64(i-1))-1)/(math.Exp2(float64(n-1))-1)
	default:
		d = lo + (hi-lo)*x
	}
	return math.Max(lo, math.Min(hi, d))
}

// seconds converts to a Duration rounded to the millisecond.
func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}
