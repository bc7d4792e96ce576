package chaos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/infidraw/infidraw/bench/internal/stack"
)

// Config names the binaries and directories a run needs.
type Config struct {
	RealtimeBin   string // bin/realtime-go
	PGBin         string // PostgreSQL's bin directory (initdb, pg_ctl)
	MigrationsDir string // db/migrations, applied with goose
	RedisServer   string // redis-server
	TileDeltaBin  string // bin/tile-delta-go
	SnapshotBin   string // target/release/snapshot-server
	Node          string // node, for gateway-ts
	GatewayMain   string // gateway-ts/dist/main.js
	// LogDir, when set, receives each service's output in <service>.log (appended across restarts), for
	// a soak to count error lines per service; otherwise the output goes to our stderr.
	LogDir string
}

// ConfigFromEnv reads the Config that scripts/chaos.sh and scripts/soak.sh export.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{RealtimeBin: getenv("REALTIME_BIN"), PGBin: getenv("PG_BIN"),
		MigrationsDir: getenv("MIGRATIONS_DIR"), RedisServer: getenv("REDIS_SERVER"),
		TileDeltaBin: getenv("TILE_DELTA_BIN"), SnapshotBin: getenv("SNAPSHOT_BIN"), Node: getenv("NODE_BIN"), GatewayMain: getenv("GATEWAY_MAIN")}
	for name, v := range map[string]string{"REALTIME_BIN": cfg.RealtimeBin, "TILE_DELTA_BIN": cfg.TileDeltaBin, "SNAPSHOT_BIN": cfg.SnapshotBin,
		"PG_BIN": cfg.PGBin, "MIGRATIONS_DIR": cfg.MigrationsDir, "REDIS_SERVER": cfg.RedisServer, "NODE_BIN": cfg.Node, "GATEWAY_MAIN": cfg.GatewayMain} {
		if v == "" {
			return cfg, fmt.Errorf("%s is not set (scripts/chaos.sh and scripts/soak.sh set it)", name)
		}
	}
	return cfg, nil
}

// Cluster is the run's own stack: a PostgreSQL instance and a Redis server of its own (so that
// restarting, pausing or killing them disturbs nobody else), two realtime-go replicas, snapshot-rs and
// two tile-delta-go replicas rendering through it into a file object store, and gateway-ts, whose room
// tokens the replicas verify against its JWKS.
type Cluster struct {
	cfg     Config
	dir     string // temporary; holds the PostgreSQL data directory
	pgPort  int
	DBURL   string
	redis   *exec.Cmd
	redisAt string

	snapHTTP, snapGRPC string // kept across restarts: tile-delta-go dials this address
	snapshot           *stack.Process
	gatewayAt          string // kept across restarts: the replicas fetch the JWKS from it
	gatewayProc        *stack.Process
	account            *gateway // the run's account on the gateway

	// The replicas' addresses, kept across restarts (as a deployment's would be).
	replicaAt, tilesAt [2]addrs

	logs []*os.File // the services' log files (Config.LogDir), closed by Stop

	mu       sync.Mutex
	replicas [2]*stack.Process // realtime-go
	tiles    [2]*stack.Process // tile-delta-go
}

type addrs struct{ http, grpc string }

func freeAddrs() addrs { return addrs{stack.FreeAddr(), stack.FreeAddr()} }

// StartCluster initialises and starts PostgreSQL in a temporary directory, applies the migrations,
// starts Redis and both realtime replicas.
func StartCluster(ctx context.Context, cfg Config) (*Cluster, error) {
	c := &Cluster{cfg: cfg, redisAt: stack.FreeAddr(), gatewayAt: stack.FreeAddr(), snapHTTP: stack.FreeAddr(), snapGRPC: stack.FreeAddr(),
		replicaAt: [2]addrs{freeAddrs(), freeAddrs()}, tilesAt: [2]addrs{freeAddrs(), freeAddrs()}}
	var err error
	if c.dir, err = os.MkdirTemp("", "infidraw-chaos-"); err != nil {
		return nil, err
	}
	if err := c.startPostgres(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.startRedis(); err != nil {
		c.Stop()
		return nil, err
	}
	// The gateway first: the replicas are ready only once they can fetch its JWKS.
	if err := c.StartGateway(); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.StartSnapshot(); err != nil {
		c.Stop()
		return nil, err
	}
	for i := range c.replicas {
		if err := c.StartReplica(i); err != nil {
			c.Stop()
			return nil, err
		}
		if err := c.StartTiles(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if c.account, err = signup(ctx, "http://"+c.gatewayAt); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// pgTool runs a PostgreSQL tool; PostgreSQL refuses to run as root, so as root it runs as the
// `postgres` user of Debian's package (as scripts/backing.sh does), from / (the tools cannot start from
// a working directory that user cannot enter).
func (c *Cluster) pgTool(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.cfg.PGBin, name)
	if os.Geteuid() == 0 {
		cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
		cmd.Dir = "/"
		return cmd
	}
	return exec.CommandContext(ctx, path, args...)
}

func run(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", cmd.String(), err, out)
	}
	return nil
}

func (c *Cluster) pgData() string { return filepath.Join(c.dir, "pg") }

func (c *Cluster) startPostgres(ctx context.Context) error {
	if err := os.Mkdir(c.pgData(), 0o700); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if err := os.Chmod(c.dir, 0o755); err != nil {
			return err
		}
		if err := run(exec.Command("chown", "postgres:postgres", c.pgData())); err != nil {
			return err
		}
	}
	if err := run(c.pgTool(ctx, "initdb", "-D", c.pgData(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")); err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(stack.FreeAddr())
	c.pgPort, _ = strconv.Atoi(port)
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nmax_connections = 100\nfsync = on\nsynchronous_commit = on\n", c.pgPort, c.pgData())
	f, err := os.OpenFile(filepath.Join(c.pgData(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := c.pgCtl(ctx, "start"); err != nil {
		return err
	}
	c.DBURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/chaos?sslmode=disable", c.pgPort)
	if err := run(exec.CommandContext(ctx, filepath.Join(c.cfg.PGBin, "createdb"), "-h", "127.0.0.1", "-p", port, "-U", "postgres", "chaos")); err != nil {
		return err
	}
	return run(exec.CommandContext(ctx, "goose", "-dir", c.cfg.MigrationsDir, "postgres", c.DBURL, "up"))
}

// pgCtl starts, stops (fast shutdown: connections are cut, transactions in flight roll back) or restarts
// PostgreSQL and waits for it.
func (c *Cluster) pgCtl(ctx context.Context, action string) error {
	args := []string{"-D", c.pgData(), "-l", filepath.Join(c.pgData(), "server.log"), "-w", "-t", "60"}
	if action != "start" {
		args = append(args, "-m", "fast")
	}
	return run(c.pgTool(ctx, "pg_ctl", append(args, action)...))
}

func (c *Cluster) startRedis() error {
	host, port, _ := net.SplitHostPort(c.redisAt)
	// No persistence: "killed and restarted empty" is what the Redis scenario wants.
	c.redis = exec.Command(c.cfg.RedisServer, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", c.dir)
	out := c.logTo("redis")
	c.redis.Stdout, c.redis.Stderr = out, out
	if err := c.redis.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if redisPing(c.redisAt) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s never answered", c.redisAt)
}

func redisPing(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// StartReplica (re)starts realtime replica i on its addresses. It verifies room tokens with the gateway's
// JWKS (fetched when a token names a key it has not seen), not with the benchmarks' keys.
func (c *Cluster) StartReplica(i int) error {
	http, grpc := c.replicaAt[i].http, c.replicaAt[i].grpc
	return c.startInto(&c.replicas[i], fmt.Sprintf("realtime-%d", i), c.cfg.RealtimeBin, http, grpc, "REALTIME_HTTP_LISTEN="+http, "REALTIME_GRPC_LISTEN="+grpc,
		"DATABASE_URL="+c.DBURL, "REDIS_URL=redis://"+c.redisAt, "REALTIME_JWKS_URL=http://"+c.gatewayAt+"/.well-known/jwks.json", "LOG_LEVEL=warn")
}

// startInto starts a service serving gRPC on grpc (ready when http answers), its output in the log
// named name, and keeps it in *slot.
func (c *Cluster) startInto(slot **stack.Process, name, bin, http, grpc string, env ...string) error {
	p, err := stack.StartLogged(c.logTo(name), []string{bin}, "", http, env...)
	if err != nil {
		return err
	}
	p.GRPC = grpc
	c.mu.Lock()
	*slot = p
	c.mu.Unlock()
	return nil
}

// StartSnapshot (re)starts snapshot-rs on its addresses.
func (c *Cluster) StartSnapshot() error {
	p, err := stack.StartLogged(c.logTo("snapshot-rs"), []string{c.cfg.SnapshotBin}, "", c.snapHTTP, "SNAPSHOT_HTTP_LISTEN="+c.snapHTTP, "SNAPSHOT_GRPC_LISTEN="+c.snapGRPC, "LOG_LEVEL=warn")
	if err != nil {
		return err
	}
	c.snapshot = p
	return nil
}

// StartTiles (re)starts tile-delta-go replica i on its addresses. A low snapshot threshold keeps
// snapshot-rs rendering while the writers draw.
func (c *Cluster) StartTiles(i int) error {
	http, grpc := c.tilesAt[i].http, c.tilesAt[i].grpc
	return c.startInto(&c.tiles[i], fmt.Sprintf("tile-delta-%d", i), c.cfg.TileDeltaBin, http, grpc, "DATABASE_URL="+c.DBURL, "SNAPSHOT_TARGET="+c.snapGRPC,
		"TILE_DELTA_HTTP_LISTEN="+http, "TILE_DELTA_GRPC_LISTEN="+grpc, "LOG_LEVEL=warn",
		"OBJECT_STORE_URL=file://"+filepath.Join(c.dir, "objects"), "TILE_DELTA_SNAPSHOT_STROKES=16")
}

// StartGateway (re)starts gateway-ts on its address, its signing keys kept in the run's directory (a
// restarted gateway signs with the same key and finds its sessions in PostgreSQL).
func (c *Cluster) StartGateway() error {
	p, err := stack.LaunchLogged(c.logTo("gateway"), []string{c.cfg.Node, c.cfg.GatewayMain}, "", "GATEWAY_HTTP_LISTEN="+c.gatewayAt, "DATABASE_URL="+c.DBURL,
		"REDIS_URL=redis://"+c.redisAt, "REALTIME_TARGET="+c.replicaAt[0].grpc, "TILE_DELTA_TARGET="+c.tilesAt[0].grpc,
		"SNAPSHOT_TARGET="+c.snapGRPC, "GATEWAY_SIGNING_KEY_DIR="+filepath.Join(c.dir, "keys"),
		"GATEWAY_PUBLIC_ORIGIN=http://"+c.gatewayAt, "LOG_LEVEL=warn")
	if err != nil {
		return err
	}
	c.gatewayProc = p
	// Its health needs the replicas, which need its JWKS: serving the JWKS is what the run waits for.
	return stack.WaitOK("http://" + c.gatewayAt + "/.well-known/jwks.json")
}

// KillTiles kills tile-delta-go replica i (kill -9). Its address stays listed until it is restarted.
func (c *Cluster) KillTiles(i int) {
	c.mu.Lock()
	p := c.tiles[i]
	c.mu.Unlock()
	_ = p.Cmd.Process.Kill()
	_ = p.Cmd.Wait() // killed: its exit status is the point
}

// TileTargets lists the gRPC addresses of the tile-delta-go replicas, replica first first.
func (c *Cluster) TileTargets(first int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.tiles {
		out = append(out, c.tiles[(first+k)%len(c.tiles)].GRPC)
	}
	return out
}

// SignalReplica sends sig to replica i and waits for it to exit. Its address stays listed until it is
// restarted: clients find out that it is gone by failing, as they would.
func (c *Cluster) SignalReplica(i int, sig syscall.Signal) error {
	c.mu.Lock()
	p := c.replicas[i]
	c.mu.Unlock()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		return err
	}
	_ = p.Cmd.Wait() // a signalled exit is the expected outcome
	return nil
}

// URLs lists the /ws of the replicas, replica first first.
func (c *Cluster) URLs(first int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.replicas {
		out = append(out, c.replicas[(first+k)%len(c.replicas)].WSURL())
	}
	return out
}

// Stop ends every process of the run and removes its directory.
func (c *Cluster) Stop() {
	c.mu.Lock()
	reps := c.replicas
	c.replicas = [2]*stack.Process{}
	tiles := c.tiles
	c.tiles = [2]*stack.Process{}
	c.mu.Unlock()
	for _, p := range append(append(reps[:], tiles[:]...), c.snapshot, c.gatewayProc) {
		if p != nil && p.Cmd.ProcessState == nil { // not yet exited (a scenario may have killed it)
			p.Stop()
		}
	}
	if c.redis != nil && c.redis.Process != nil {
		_ = c.redis.Process.Signal(syscall.SIGCONT) // in case a scenario left it paused
		_ = c.redis.Process.Kill()
		_ = c.redis.Wait()
	}
	if c.pgPort != 0 {
		_ = c.pgCtl(context.Background(), "stop")
	}
	for _, f := range c.logs {
		_ = f.Close()
	}
	_ = os.RemoveAll(c.dir)
}

// logTo is where service name writes its output: LogDir/<name>.log when the run keeps logs, else our
// stderr. The file stays open for the child; the child's exit does not need it closed (the run is short-lived).
func (c *Cluster) logTo(name string) io.Writer {
	if c.cfg.LogDir == "" {
		return os.Stderr
	}
	f, err := os.OpenFile(c.LogPath(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return os.Stderr
	}
	c.logs = append(c.logs, f)
	return f
}

// LogPath is the log file of service name (see Config.LogDir); PostgreSQL's is ServerLog.
func (c *Cluster) LogPath(name string) string { return filepath.Join(c.cfg.LogDir, name+".log") }

// ServerLog is PostgreSQL's log file.
func (c *Cluster) ServerLog() string { return filepath.Join(c.pgData(), "server.log") }

// Service is one running process of the stack, for a soak to sample.
type Service struct {
	Name    string // realtime-0, tile-delta-1, snapshot-rs, gateway, postgres, redis
	PID     int
	Metrics string // its Prometheus /metrics URL ("" when it has none)
	Log     string // the file its output goes to
}

// Services lists the processes of the stack as they run now (PostgreSQL by its postmaster).
func (c *Cluster) Services() []Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Service
	add := func(name string, p *stack.Process) {
		if p != nil {
			out = append(out, Service{Name: name, PID: p.Cmd.Process.Pid, Metrics: "http://" + p.HTTP + "/metrics", Log: c.LogPath(name)})
		}
	}
	for i := range c.replicas {
		add(fmt.Sprintf("realtime-%d", i), c.replicas[i])
	}
	for i := range c.tiles {
		add(fmt.Sprintf("tile-delta-%d", i), c.tiles[i])
	}
	add("snapshot-rs", c.snapshot)
	if c.gatewayProc != nil {
		out = append(out, Service{Name: "gateway", PID: c.gatewayProc.Cmd.Process.Pid, Metrics: "http://" + c.gatewayAt + "/metrics", Log: c.LogPath("gateway")})
	}
	if pid := c.postmasterPID(); pid > 0 {
		out = append(out, Service{Name: "postgres", PID: pid, Log: c.ServerLog()})
	}
	if c.redis != nil && c.redis.Process != nil {
		out = append(out, Service{Name: "redis", PID: c.redis.Process.Pid, Log: c.LogPath("redis")})
	}
	return out
}

// postmasterPID reads the first line of postmaster.pid (0 when PostgreSQL is not running).
func (c *Cluster) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(c.pgData(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// RedisAddr is the Redis server's host:port.
func (c *Cluster) RedisAddr() string { return c.redisAt }
