package config

import (
	"strings"
	"testing"
	"time"
)

func TestAccessPoll(t *testing.T) {
	tests := []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 500 * time.Millisecond, false},
		{"REALTIME_ACCESS_POLL=100ms", 100 * time.Millisecond, false},
		{"REALTIME_ACCESS_POLL=2s", 2 * time.Second, false},
		{"REALTIME_ACCESS_POLL=3s", 0, true}, // revocation must reach live connections within 2 s
		{"REALTIME_ACCESS_POLL=1ms", 0, true},
		{"REALTIME_ACCESS_POLL=soon", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c, err := Load([]string{tt.env})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "REALTIME_ACCESS_POLL") {
					t.Fatalf("err = %v, want one naming REALTIME_ACCESS_POLL", err)
				}
				return
			}
			if err != nil || c.AccessPoll != tt.want {
				t.Fatalf("AccessPoll = %s, err %v; want %s", c.AccessPoll, err, tt.want)
			}
		})
	}
}
