// Package breaker is a circuit breaker: closed (calls go through) → open after N consecutive failures
// (calls are refused) → half-open after a cool-down (one probe call goes through; its success closes
// the breaker, its failure opens it again for another cool-down).
package breaker

import (
	"sync"
	"time"
)

// State of a breaker; the numbers are the values of its state gauge.
type State int

// States.
const (
	Closed   State = 0
	Open     State = 1
	HalfOpen State = 2
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	default:
		return "half-open"
	}
}

// Breaker is safe for concurrent use.
type Breaker struct {
	threshold int
	coolDown  time.Duration
	now       func() time.Time
	onChange  func(State)

	mu       sync.Mutex
	state    State
	failures int
	openedAt time.Time
	probing  bool
}

// New returns a closed breaker that opens after threshold consecutive failures and probes after
// coolDown. onChange (may be nil) is called with every new state, under the breaker's lock.
func New(threshold int, coolDown time.Duration, onChange func(State)) *Breaker {
	if threshold < 1 {
		threshold = 1
	}
	if onChange == nil {
		onChange = func(State) {}
	}
	b := &Breaker{threshold: threshold, coolDown: coolDown, now: time.Now, onChange: onChange}
	onChange(Closed)
	return b
}

func (b *Breaker) set(s State) {
	if b.state != s {
		b.state = s
		b.onChange(s)
	}
}

// Allow reports whether a call may go through now. A caller that gets true must report the call's
// outcome with Success or Failure.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Closed:
		return true
	case Open:
		if b.now().Sub(b.openedAt) < b.coolDown {
			return false
		}
		b.set(HalfOpen)
		b.probing = true
		return true
	default:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
}

// Success records a call that worked: the breaker closes.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.probing = 0, false
	b.set(Closed)
}

// Failure records a failed or timed-out call.
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.state == HalfOpen || (b.state == Closed && b.failures >= b.threshold) {
		b.probing = false
		b.openedAt = b.now()
		b.set(Open)
	}
}

// Cancel releases a call that was allowed but whose outcome says nothing about the callee (the caller
// gave up, or the request itself was bad).
func (b *Breaker) Cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == HalfOpen {
		b.probing = false
	}
}

// State returns the current state (an open breaker whose cool-down has passed is still Open until a
// call probes it).
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
