package llm

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// RetryPolicy bounds how a provider is retried. A zero field takes its
// default (DefaultRetryPolicy).
type RetryPolicy struct {
	// MaxAttempts counts every try, the first included. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxTotalWait bounds the sum of all waits of one Stream call. A
	// Retry-After that would exceed it ends the retries at once.
	MaxTotalWait time.Duration
	// Sleep waits d or until ctx is done; nil means a real timer. Tests
	// inject one to observe the waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one line per retry; nil discards.
	Logger *slog.Logger
}

// DefaultRetryPolicy returns the retry bounds used where none are
// configured.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 8 * time.Second, MaxTotalWait: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxTotalWait <= 0 {
		p.MaxTotalWait = d.MaxTotalWait
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// backoff is the wait before retry number n (1-based).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithRetry wraps p so that transient failures before the first chunk are
// retried with exponential backoff that honours Retry-After, within the
// policy's bounds. Once a chunk has been emitted nothing is retried: the
// error is returned and the caller keeps the partial text. Models is not
// retried.
func WithRetry(p Provider, policy RetryPolicy) Provider {
	return &retrying{Provider: p, policy: policy.withDefaults()}
}

type retrying struct {
	Provider
	policy RetryPolicy
}

// Unwrap returns the wrapped provider.
func (r *retrying) Unwrap() Provider { return r.Provider }

func (r *retrying) Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error) {
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		emitted := false
		res, err := r.Provider.Stream(ctx, req, func(c Chunk) error {
			emitted = true
			return emit(c)
		})
		if err == nil || emitted || ctx.Err() != nil || !retryable(err) {
			return res, err
		}
		if attempt >= r.policy.MaxAttempts {
			return res, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		wait := r.policy.backoff(attempt)
		if e, ok := asError(err); ok && e.RetryAfter > wait {
			wait = e.RetryAfter
		}
		if waited+wait > r.policy.MaxTotalWait {
			return res, fmt.Errorf("%w (not retried: waiting %s more would exceed the retry limit of %s)", err, wait, r.policy.MaxTotalWait)
		}
		r.policy.Logger.Info("retrying provider", "provider", r.Name(), "attempt", attempt+1, "wait", wait, "error", err.Error())
		if err := r.policy.Sleep(ctx, wait); err != nil {
			if ctx.Err() != nil {
				return Result{}, ctx.Err()
			}
			return Result{}, err
		}
		waited += wait
	}
}
