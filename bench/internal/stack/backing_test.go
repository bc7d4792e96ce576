package stack

import (
	"maps"
	"math"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       procStat
		wantErr    bool
	}{
		{"plain", "10833 (cat) R 10831 10831 683 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 1 0 4960401", procStat{pid: 10833, ppid: 10831, own: 3, reaped: 0.1}, false},
		// comm may hold spaces and parentheses: fields are counted from the last ')'.
		{"comm with ') ('", "42 (po) (stgres x) S 1 42 42 0 -1 4194560 0 0 0 0 100 100 0 0 20 0 1 0 1", procStat{pid: 42, ppid: 1, own: 2}, false},
		{"truncated", "42 (postgres) S 1 42 42 0 -1 4194560 0 0 0 0 100", procStat{}, true},
		{"no comm", "42 postgres S 1", procStat{}, true},
		{"bad number", "42 (postgres) S 1 42 42 0 -1 4194560 0 0 0 0 x 100 0 0 20", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error %v, want error %v", tt.line, err, tt.wantErr)
			}
			if !tt.wantErr && (got.pid != tt.want.pid || got.ppid != tt.want.ppid || math.Abs(got.own-tt.want.own) > 1e-9 || math.Abs(got.reaped-tt.want.reaped) > 1e-9) {
				t.Fatalf("parseStat(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestTreeCPU(t *testing.T) {
	// 1 init; 100 postmaster (2 s, 1 s reaped from backends that exited); 101, 102 backends; 103 a child of
	// a backend; 200 an unrelated process.
	procs := []procStat{
		{pid: 1, ppid: 0, own: 50},
		{pid: 100, ppid: 1, own: 2, reaped: 1},
		{pid: 101, ppid: 100, own: 0.5},
		{pid: 102, ppid: 100, own: 0.25, reaped: 0.125},
		{pid: 103, ppid: 102, own: 0.0625},
		{pid: 200, ppid: 1, own: 9},
	}
	tests := []struct {
		name  string
		root  int
		want  float64
		found bool
	}{
		{"postmaster and every descendant", 100, 2 + 1 + 0.5 + 0.25 + 0.125 + 0.0625, true},
		{"a leaf", 101, 0.5, true},
		{"gone", 999, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := treeCPU(tt.root, procs)
			if got != tt.want || found != tt.found {
				t.Fatalf("treeCPU(%d) = %v, %v; want %v, %v", tt.root, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestCommandCallsAndSub(t *testing.T) {
	before, err := commandCalls(map[string]string{
		"cmdstat_publish": "calls=10,usec=30,usec_per_call=3.00,rejected_calls=0,failed_calls=0",
		"cmdstat_info":    "calls=5,usec=100,usec_per_call=20.00,rejected_calls=0,failed_calls=0",
		"used_memory":     "1000",
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := commandCalls(map[string]string{
		"cmdstat_publish":   "calls=25,usec=75,usec_per_call=3.00,rejected_calls=0,failed_calls=0",
		"cmdstat_subscribe": "calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0",
		"cmdstat_info":      "calls=7,usec=140,usec_per_call=20.00,rejected_calls=0,failed_calls=0",
	})
	if err != nil {
		t.Fatal(err)
	}
	d := BackingSample{RedisCalls: after, RedisCPU: 1.5, PostgresCPU: 4, RedisNetBytes: 900}.Sub(BackingSample{RedisCalls: before, RedisCPU: 1, PostgresCPU: 3, RedisNetBytes: 100})
	if want := map[string]int64{"publish": 15, "subscribe": 2}; !maps.Equal(d.RedisCalls, want) {
		t.Fatalf("calls %v, want %v (INFO left out)", d.RedisCalls, want)
	}
	if d.RedisCommands() != 17 || d.RedisCPU != 0.5 || d.PostgresCPU != 1 || d.RedisNetBytes != 800 {
		t.Fatalf("difference %+v", d)
	}
	if _, err := commandCalls(map[string]string{"cmdstat_get": "calls=x"}); err == nil {
		t.Fatal("a malformed calls= was accepted")
	}
}
