package breaker

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	type step struct {
		op    string // allow, deny, ok, fail, cancel, wait
		state State  // after the step
	}
	tests := map[string][]step{
		"stays closed below the threshold": {{"allow", Closed}, {"fail", Closed}, {"allow", Closed}, {"fail", Closed}, {"allow", Closed}, {"ok", Closed}, {"allow", Closed}, {"fail", Closed}, {"allow", Closed}, {"fail", Closed}},
		"opens after consecutive failures": {{"allow", Closed}, {"fail", Closed}, {"allow", Closed}, {"fail", Closed}, {"allow", Closed}, {"fail", Open}, {"deny", Open}},
		"half-open probe succeeds": {{"allow", Closed}, {"fail", Closed}, {"fail", Closed}, {"fail", Open}, {"deny", Open},
			{"wait", Open}, {"allow", HalfOpen}, {"deny", HalfOpen}, {"ok", Closed}, {"allow", Closed}},
		"half-open probe fails": {{"fail", Closed}, {"fail", Closed}, {"fail", Open}, {"wait", Open}, {"allow", HalfOpen},
			{"fail", Open}, {"deny", Open}, {"wait", Open}, {"allow", HalfOpen}, {"ok", Closed}},
		"cancelled probe lets another probe": {{"fail", Closed}, {"fail", Closed}, {"fail", Open}, {"wait", Open}, {"allow", HalfOpen},
			{"cancel", HalfOpen}, {"allow", HalfOpen}, {"deny", HalfOpen}},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			now := time.Unix(0, 0)
			var seen []State
			b := New(3, time.Second, func(s State) { seen = append(seen, s) })
			b.now = func() time.Time { return now }
			for i, s := range steps {
				switch s.op {
				case "allow":
					if !b.Allow() {
						t.Fatalf("step %d: refused", i)
					}
				case "deny":
					if b.Allow() {
						t.Fatalf("step %d: allowed", i)
					}
				case "ok":
					b.Success()
				case "fail":
					b.Failure()
				case "cancel":
					b.Cancel()
				case "wait":
					now = now.Add(time.Second)
				}
				if got := b.State(); got != s.state {
					t.Fatalf("step %d (%s): state %v, want %v", i, s.op, got, s.state)
				}
			}
			if len(seen) == 0 || seen[len(seen)-1] != b.State() {
				t.Fatalf("onChange saw %v, state %v", seen, b.State())
			}
		})
	}
}
