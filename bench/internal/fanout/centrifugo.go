package fanout

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/infidraw/infidraw/bench/internal/replay"
	"github.com/infidraw/infidraw/bench/internal/stack"
	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Centrifugo runs Centrifugo v6 servers for the comparison, from the configuration template in
// bench/centrifugo/config.json: one namespace "room" (one channel per room) where subscribers may publish,
// history off, presence off, connection JWTs (HS256) signed with Secret. One replica uses the memory
// engine; several use the Redis engine on RedisURL, all with the same prefix, as a Centrifugo cluster does.
type Centrifugo struct {
	Bin      string // the centrifugo binary
	Template string // bench/centrifugo/config.json
	RedisURL string
	CPUs     string // taskset list, as for every server
	Secret   string // HMAC key of connection tokens
	Version  string // as pinned in scripts/env.sh, for the tables
	// Client is the load generator's client: "raw" (Centrifugo's protobuf protocol on a plain WebSocket,
	// rawCentrifugoSession) or "centrifuge-go" (the official Go SDK, centrifugoSession).
	Client string
}

// NewCentrifugo prepares servers of bin configured from template, with a fresh token key.
func NewCentrifugo(bin, template, version, redisURL, cpus, client string) (*Centrifugo, error) {
	if client != "raw" && client != "centrifuge-go" {
		return nil, fmt.Errorf("centrifugo client %q: want raw or centrifuge-go", client)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Centrifugo{Bin: bin, Template: template, RedisURL: redisURL, CPUs: cpus, Secret: hex.EncodeToString(key), Version: version, Client: client}, nil
}

// cfSession is a Centrifugo client of either kind.
type cfSession interface {
	session
	lost() error // why the connection or subscription ended, nil while it lasts
}

func (c *Centrifugo) dial(ctx context.Context, rep *stack.Process, room string, id uint32, record recorder) (cfSession, error) {
	if c.Client == "centrifuge-go" {
		s, err := dialCentrifugo(ctx, rep, c, room, id, record)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := dialCentrifugoRaw(ctx, rep, c, room, id, record)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs one Centrifugo node and waits until /health answers. redis selects the Redis engine (needed
// as soon as there is more than one node).
func (c *Centrifugo) Start(redis bool) (*stack.Process, error) {
	raw, err := os.ReadFile(c.Template)
	if err != nil {
		return nil, err
	}
	var conf map[string]any
	if err := json.Unmarshal(raw, &conf); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Template, err)
	}
	p := &stack.Process{HTTP: stack.FreeAddr()}
	host, port, _ := net.SplitHostPort(p.HTTP)
	portN, _ := strconv.Atoi(port)
	obj := func(m map[string]any, k string) map[string]any {
		v, ok := m[k].(map[string]any)
		if !ok {
			v = map[string]any{}
			m[k] = v
		}
		return v
	}
	obj(conf, "http_server")["address"] = host
	obj(conf, "http_server")["port"] = portN
	obj(obj(conf, "client"), "token")["hmac_secret_key"] = c.Secret
	if redis {
		conf["engine"] = map[string]any{"type": "redis", "redis": map[string]any{"address": []string{c.RedisURL}, "prefix": "centrifugo-bench"}}
	}
	f, err := os.CreateTemp("", "centrifugo-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name()) // read once at start
	if err := json.NewEncoder(f).Encode(conf); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	args := []string{c.Bin, "--config", f.Name()}
	if c.CPUs != "" {
		args = append([]string{"taskset", "-c", c.CPUs}, args...)
	}
	p.Cmd = exec.Command(args[0], args[1:]...)
	p.Cmd.Stdout, p.Cmd.Stderr = os.Stderr, os.Stderr
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + p.HTTP + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("centrifugo on %s never became healthy", p.HTTP)
}

// Token is a connection JWT for user.
func (c *Centrifugo) Token(user string) string {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": user, "exp": time.Now().Add(10 * time.Minute).Unix()})
	s, _ := t.SignedString([]byte(c.Secret))
	return s
}

// Every publication starts with a fixed header the load generator reads without decoding protobuf:
// kind ('L' live, 'C' commit), publisher id and its commit counter (big-endian uint32), the stroke id;
// the rest is the same protobuf ClientMessage that realtime-go receives for that step.
const cfHeader = 1 + 4 + 4 + 16

// centrifugoSession is one centrifuge-go client subscribed to its room's channel. Commits are publications
// acknowledged by Centrifugo's publish reply; every client (the author too) receives every publication.
// Centrifugo has no room sequence with history off, so exactly-once and order are checked per publisher:
// each publisher numbers its commits 1, 2, 3, … and every receiver must see each publisher's numbers
// without a gap or a repeat; at the end every client must hold as many commits as the room acknowledged.
type centrifugoSession struct {
	c    *centrifuge.Client
	sub  *centrifuge.Subscription
	id   uint32
	sent uint32

	// Live chunks are published without waiting for their reply (as the JavaScript SDK does with its
	// promise); at most liveInFlight at a time.
	inFlight chan struct{}
	liveErr  atomic.Pointer[error]

	commitLog
}

// commitLog is what a Centrifugo client received of its room's commits (the header cfPayload writes):
// each publisher's last commit number, for the ordering check (exactly once, in the publisher's
// order), their count, and why the connection ended. Its methods complete the session interface.
type commitLog struct {
	record recorder

	mu      sync.Mutex // also guards what the embedding session adds to it
	last    map[uint32]uint32
	got     uint64
	bad     int
	changed chan struct{}
	gone    error
}

func newCommitLog(record recorder) commitLog {
	return commitLog{record: record, last: map[uint32]uint32{}, changed: make(chan struct{})}
}

// publication checks a received publication's commit against its publisher's previous one and records
// it with its payload (the protobuf after the header); other publications (live chunks) only have their
// latency recorded.
func (l *commitLog) publication(now time.Time, d []byte) {
	if len(d) >= cfHeader && d[0] == 'L' {
		l.record.recordLive(now, [16]byte(d[9:cfHeader]))
		return
	}
	if len(d) < cfHeader || d[0] != 'C' {
		return
	}
	l.record.record(now, [16]byte(d[9:cfHeader]), d[cfHeader:]) // before waitSeq counts it (recorder)
	from, n := binary.BigEndian.Uint32(d[1:]), binary.BigEndian.Uint32(d[5:])
	l.mu.Lock()
	if n != l.last[from]+1 {
		l.bad++
	}
	l.last[from] = max(l.last[from], n)
	l.got++
	l.wake()
	l.mu.Unlock()
}

// payload: a commit publication's protobuf after its header, the CommitStroke that cfPayload appends.
func (l *commitLog) payload(stroke *strokev1.Stroke, _ []strokes.Point) ([]byte, error) {
	return proto.Marshal(commitMessage(stroke))
}

// fail records why the connection ended.
func (l *commitLog) fail(err error) {
	l.mu.Lock()
	l.failLocked(err)
	l.mu.Unlock()
}

// failLocked is fail with l.mu held; it reports whether err is the first failure.
func (l *commitLog) failLocked(err error) bool {
	if l.gone != nil {
		return false
	}
	l.gone = err
	l.wake()
	return true
}

// wake wakes waitSeq. l.mu is held.
func (l *commitLog) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// waitSeq waits until the client holds head commits; with no per-publisher gap or repeat (violations),
// that is every commit of the room exactly once.
func (l *commitLog) waitSeq(ctx context.Context, head uint64) error {
	for {
		l.mu.Lock()
		got, changed, gone := l.got, l.changed, l.gone
		l.mu.Unlock()
		if got >= head {
			return nil
		}
		if gone != nil {
			return fmt.Errorf("%d of %d commits: %w", got, head, gone)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d commits: %w", got, head, ctx.Err())
		}
	}
}

func (l *commitLog) violations() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad
}

func (l *commitLog) lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gone
}

const liveInFlight = 256

func dialCentrifugo(ctx context.Context, rep *stack.Process, cf *Centrifugo, room string, id uint32, record recorder) (*centrifugoSession, error) {
	s := &centrifugoSession{id: id, inFlight: make(chan struct{}, liveInFlight), commitLog: newCommitLog(record)}
	s.c = centrifuge.NewProtobufClient("ws://"+rep.HTTP+"/connection/websocket", centrifuge.Config{Token: cf.Token(uuid.NewString()), ReadTimeout: 30 * time.Second})
	sub, err := s.c.NewSubscription("room:" + room)
	if err != nil {
		return nil, err
	}
	s.sub = sub
	subscribed := make(chan struct{})
	var once sync.Once
	sub.OnSubscribed(func(centrifuge.SubscribedEvent) { once.Do(func() { close(subscribed) }) })
	sub.OnPublication(s.onPublication)
	sub.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) { s.fail(fmt.Errorf("unsubscribed: %d %s", e.Code, e.Reason)) })
	s.c.OnDisconnected(func(e centrifuge.DisconnectedEvent) { s.fail(fmt.Errorf("disconnected: %d %s", e.Code, e.Reason)) })
	if err := s.c.Connect(); err != nil {
		return nil, err
	}
	if err := sub.Subscribe(); err != nil {
		s.c.Close()
		return nil, err
	}
	select {
	case <-subscribed:
		return s, nil
	case <-ctx.Done():
		s.c.Close()
		return nil, fmt.Errorf("centrifugo subscribe: %w", ctx.Err())
	}
}

// onPublication runs on centrifuge-go's callback goroutine of this client, in arrival order.
func (s *centrifugoSession) onPublication(e centrifuge.PublicationEvent) {
	s.publication(time.Now(), e.Data)
}

// cfPayload is the header and the protobuf of one step.
func cfPayload(kind byte, from, n uint32, stroke *strokev1.Stroke, msg *realtimev1.ClientMessage) ([]byte, error) {
	b := make([]byte, cfHeader, cfHeader+64+len(stroke.GetPoints())*2)
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], from)
	binary.BigEndian.PutUint32(b[5:], n)
	copy(b[9:], stroke.GetId())
	return proto.MarshalOptions{}.MarshalAppend(b, msg)
}

func commitMessage(stroke *strokev1.Stroke) *realtimev1.ClientMessage {
	return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: stroke}}}
}

func (s *centrifugoSession) live(stroke *strokev1.Stroke, _ []strokes.Point, i, j int) error {
	if err := s.liveErr.Load(); err != nil {
		return *err
	}
	data, err := cfPayload('L', s.id, 0, stroke, replay.LiveMessage(stroke, i, j))
	if err != nil {
		return err
	}
	s.inFlight <- struct{}{}
	go func() {
		defer func() { <-s.inFlight }()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s.sub.Publish(ctx, data); err != nil {
			err = fmt.Errorf("live publish: %w", err)
			s.liveErr.CompareAndSwap(nil, &err)
		}
	}()
	return nil
}

func (s *centrifugoSession) commit(ctx context.Context, stroke *strokev1.Stroke, _ []strokes.Point) (bool, error) {
	data, err := cfPayload('C', s.id, s.sent+1, stroke, commitMessage(stroke))
	if err != nil {
		return false, err
	}
	// The publish reply may come after the measuring window closes.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := s.sub.Publish(rctx, data); err != nil {
		return false, fmt.Errorf("centrifugo publish: %w", err)
	}
	s.sent++
	return true, nil
}

func (s *centrifugoSession) close() error {
	s.c.Close()
	return nil
}

// IdleCentrifugo opens n clients (of cf.Client's kind), each connected and subscribed to one of rooms
// channels, and measures the growth of the Centrifugo node's RSS, as Idle does for realtime-go.
func IdleCentrifugo(ctx context.Context, cf *Centrifugo, n, rooms int) (IdleResult, error) {
	res := IdleResult{Connections: n, Rooms: rooms}
	p, err := cf.Start(false)
	if err != nil {
		return res, err
	}
	defer p.Stop()
	before, err := stack.ReadUsage(p.Cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	roomIDs := make([]string, rooms)
	for i := range roomIDs {
		roomIDs[i] = uuid.NewString()
	}
	conns := make([]cfSession, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.close()
			}
		}
	}()
	// A few dials at a time: the server's memory does not depend on it, the wall time does.
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	next := atomic.Int64{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				c, err := cf.dial(dctx, p, roomIDs[i%rooms], uint32(i+1), ignore{})
				cancel()
				if err != nil {
					err = fmt.Errorf("centrifugo connection %d: %w", i, err)
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if err := firstErr.Load(); err != nil {
		return res, *err
	}
	time.Sleep(2 * time.Second)
	after, err := stack.ReadUsage(p.Cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	for _, c := range conns {
		if err := c.lost(); err != nil {
			return res, errors.New("an idle centrifugo client was disconnected: " + err.Error())
		}
	}
	res.RSSBeforeBytes, res.RSSAfterBytes = before.RSSBytes, after.RSSBytes
	res.BytesPerConnKiB = float64(after.RSSBytes-before.RSSBytes) / float64(n) / 1024
	return res, nil
}
