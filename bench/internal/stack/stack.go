// Package stack starts realtime-go replicas for the benchmarks, as separate processes, and mints the
// room tokens they accept.
package stack

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// Keys signs room tokens; DevJWKS is what realtime-go verifies them with.
type Keys struct{ priv ed25519.PrivateKey }

// NewKeys makes a fresh signing key.
func NewKeys() *Keys {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return &Keys{priv: priv}
}

// DevJWKS is the public key set for REALTIME_DEV_JWKS.
func (k *Keys) DevJWKS() string {
	pub := k.priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"bench","x":%q}]}`, base64.RawURLEncoding.EncodeToString(pub))
}

// Token is a room token as the gateway would sign it, from a session of its own; the benchmarks take no
// access away, so every access version is 0 (never bumped).
func (k *Keys) Token(user, room, role string) string {
	now := time.Now()
	session := uuid.NewString()
	acc := map[string]int64{"room:" + room: 0, "member:" + room + ":" + user: 0, "session:" + session: 0}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "infidraw-gateway", "aud": "infidraw-realtime",
		"sub": user, "room": room, "role": role, "name": "bench", "iat": now.Unix(), "exp": now.Add(4 * time.Minute).Unix(), "jti": uuid.NewString(),
		"sid": session, "acc": acc})
	t.Header["kid"] = "bench"
	s, _ := t.SignedString(k.priv)
	return s
}

// Process is a running server.
type Process struct {
	Cmd        *exec.Cmd
	HTTP, GRPC string
}

// WSURL is the replica's /ws.
func (p *Process) WSURL() string { return "ws://" + p.HTTP + "/ws" }

// FreeAddr returns a loopback address with a free port (below the ephemeral range, see localtest.Port).
func FreeAddr() string {
	addr, err := localtest.Port()
	if err != nil {
		panic(err)
	}
	return addr
}

// StartRealtime runs a realtime-go replica and waits until it is healthy. cpus, if set, pins it
// (taskset) to those cores.
func StartRealtime(bin, databaseURL, redisURL string, keys *Keys, cpus string, extra ...string) (*Process, error) {
	p := &Process{HTTP: FreeAddr(), GRPC: FreeAddr()}
	args := []string{bin}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	p.Cmd = exec.Command(args[0], args[1:]...)
	p.Cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "REDIS_URL="+redisURL, "REALTIME_HTTP_LISTEN="+p.HTTP,
		"REALTIME_GRPC_LISTEN="+p.GRPC, "REALTIME_DEV_JWKS="+keys.DevJWKS(), "LOG_LEVEL=error", "REALTIME_MESSAGES_PER_SECOND=100000")
	p.Cmd.Env = append(p.Cmd.Env, extra...)
	p.Cmd.Stdout, p.Cmd.Stderr = os.Stderr, os.Stderr
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + p.HTTP + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("realtime-go on %s never became healthy", p.HTTP)
}

// Start runs any server of the stack (argv: the program and its arguments) with env added to ours and
// waits until health/healthz answers. cpus, if set, pins it (taskset) to those cores.
func Start(argv []string, cpus, health string, env ...string) (*Process, error) {
	return StartLogged(os.Stderr, argv, cpus, health, env...)
}

// StartLogged is Start with the server's output (stdout and stderr) going to log: a soak counts the
// error lines of each service in its own file.
func StartLogged(log io.Writer, argv []string, cpus, health string, env ...string) (*Process, error) {
	p, err := LaunchLogged(log, argv, cpus, env...)
	if err != nil {
		return nil, err
	}
	p.HTTP = health
	if err := p.waitHealthy(); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%s: %w", filepath.Base(argv[len(argv)-1]), err)
	}
	return p, nil
}

// Launch runs a server like Start but returns at once: for a server whose health depends on another
// that needs it first (WaitOK then tells when it serves).
func Launch(argv []string, cpus string, env ...string) (*Process, error) {
	return LaunchLogged(os.Stderr, argv, cpus, env...)
}

// LaunchLogged is Launch with the server's output going to log.
func LaunchLogged(log io.Writer, argv []string, cpus string, env ...string) (*Process, error) {
	args := argv
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	p := &Process{Cmd: exec.Command(args[0], args[1:]...)}
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = log, log
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// StartBaseline runs one process of the earlier design's Node relay (bench/baseline-relay/server.js)
// and waits until it is healthy; prefix namespaces its Redis keys per run.
func StartBaseline(node, script, redisURL, prefix, cpus string) (*Process, error) {
	return startRelay("baseline relay", node, script, cpus, "REDIS_URL="+redisURL, "RELAY_PREFIX="+prefix)
}

// StartPhase1 runs one process of the roadmap's phase-1 Node relay (bench/phase1-relay/server.js), which
// stores every commit in its own schema of databaseURL, and waits until it is healthy.
func StartPhase1(node, script, databaseURL, redisURL, prefix, cpus string) (*Process, error) {
	return startRelay("phase-1 relay", node, script, cpus, "DATABASE_URL="+databaseURL, "REDIS_URL="+redisURL, "RELAY_PREFIX="+prefix)
}

func startRelay(name, node, script, cpus string, env ...string) (*Process, error) {
	p := &Process{HTTP: FreeAddr()}
	args := []string{node, script}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	p.Cmd = exec.Command(args[0], args[1:]...)
	p.Cmd.Env = append(append(os.Environ(), env...), "RELAY_LISTEN="+p.HTTP)
	p.Cmd.Stdout, p.Cmd.Stderr = os.Stderr, os.Stderr
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	if err := p.waitHealthy(); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func (p *Process) waitHealthy() error { return WaitOK("http://" + p.HTTP + "/healthz") }

// WaitOK waits up to 30 s for url to answer 200.
func WaitOK(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s never answered 200", url)
}

// Stop ends the process gracefully.
func (p *Process) Stop() {
	_ = p.Cmd.Process.Signal(os.Interrupt)
	_ = p.Cmd.Wait()
}

// Usage is CPU time and memory of a process.
type Usage struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSBytes   int64   `json:"rss_bytes"`
	PeakRSS    int64   `json:"peak_rss_bytes"`
}

// ReadUsage reads /proc for pid.
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	ps, err := parseStat(strings.TrimSpace(string(stat)))
	if err != nil {
		return u, err
	}
	u.CPUSeconds = ps.own
	st, err := ReadStatus(pid)
	u.RSSBytes, u.PeakRSS = st.RSS, st.PeakRSS
	return u, err
}

// Status is what /proc/<pid>/status says of a process's memory and threads.
type Status struct {
	RSS, PeakRSS int64 // VmRSS, VmHWM
	Anon, Shmem  int64 // RssAnon (private heap and stacks), RssShmem (shared memory it has touched)
	Threads      int
	PPid         int
	Exited       bool // a zombie: exited, not yet reaped
}

// ReadStatus reads /proc/<pid>/status.
func ReadStatus(pid int) (Status, error) {
	var st Status
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(v)
		n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
		switch k {
		case "State":
			st.Exited = strings.HasPrefix(v, "Z") || strings.HasPrefix(v, "X")
		case "VmRSS":
			st.RSS = n << 10
		case "VmHWM":
			st.PeakRSS = n << 10
		case "RssAnon":
			st.Anon = n << 10
		case "RssShmem":
			st.Shmem = n << 10
		case "Threads":
			st.Threads = int(n)
		case "PPid":
			st.PPid = int(n)
		}
	}
	return st, sc.Err()
}
