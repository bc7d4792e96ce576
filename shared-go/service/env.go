package service

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Env reads configuration values from an environment map, collecting every problem so that a service
// refuses to start with one message naming all bad values.
type Env struct {
	vars map[string]string
	errs []error
}

// NewEnv wraps environment entries of the form KEY=VALUE.
func NewEnv(environ []string) *Env {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				vars[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	return &Env{vars: vars}
}

// String returns the value or the default when unset or empty.
func (e *Env) String(key, def string) string {
	if v, ok := e.vars[key]; ok && v != "" {
		return v
	}
	return def
}

// Addr returns a host:port listen or dial address.
func (e *Env) Addr(key, def string) string {
	v := e.String(key, def)
	if _, port, err := net.SplitHostPort(v); err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want host:port: %v", key, v, err))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: bad port", key, v))
	}
	return v
}

// Target returns a gRPC dial target: host:port, or dns:///host:port, which the Helm chart gives so that
// the client resolves every address of a headless Service and balances over them.
func (e *Env) Target(key, def string) string {
	v := e.String(key, def)
	addr := strings.TrimPrefix(v, "dns:///")
	if _, port, err := net.SplitHostPort(addr); err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want host:port or dns:///host:port: %v", key, v, err))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: bad port", key, v))
	}
	return v
}

// Int returns an integer within [lo, hi].
func (e *Env) Int(key string, def, lo, hi int) int {
	v, ok := e.vars[key]
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want an integer in %d..%d", key, v, lo, hi))
		return def
	}
	return n
}

// Duration returns a duration within [lo, hi].
func (e *Env) Duration(key string, def, lo, hi time.Duration) time.Duration {
	v, ok := e.vars[key]
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a duration in %s..%s", key, v, lo, hi))
		return def
	}
	return d
}

// Required returns a value that must be set.
func (e *Env) Required(key string) string {
	v := e.String(key, "")
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is required", key))
	}
	return v
}

// Fail records a problem found while interpreting a value.
func (e *Env) Fail(err error) { e.errs = append(e.errs, err) }

// Err returns every problem found, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	msg := "invalid configuration:"
	for _, err := range e.errs {
		msg += "\n  " + err.Error()
	}
	return fmt.Errorf("%s", msg)
}
