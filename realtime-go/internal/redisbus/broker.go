// Package redisbus carries realtime-go's bus over Redis, a single server (7.0 or later) or a Redis
// Cluster, on one code path: sharded pub/sub per room (SPUBLISH on channels hash-tagged by room, so that
// a cluster spreads rooms over its masters and a replica receives only the rooms it subscribed to),
// presence in a hash per room with a liveness key per replica, and the cache of first event pages. Every
// command touches one key (or one room's channel), so none can cross slots.
package redisbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/hub"
)

const (
	channelPrefix  = "infidraw:room:{"
	presencePrefix = "infidraw:presence:{"
	viewersPrefix  = "infidraw:viewers:{"
	replicaPrefix  = "infidraw:replica:"
	replicaTTL     = 15 * time.Second
)

// channel names one of a room's channels: infidraw:room:{<room>} and, for the others, a suffix ("all",
// "r:<x>:<y>"). The hash tag is the room's, so that all of them share a slot.
func channel(room uuid.UUID, ch hub.Channel) string {
	if ch.Kind == hub.RoomChannel {
		return channelPrefix + room.String() + "}"
	}
	return channelPrefix + room.String() + "}:" + ch.String()
}

func presence(room uuid.UUID) string { return presencePrefix + room.String() + "}" }
func viewers(room uuid.UUID) string  { return viewersPrefix + room.String() + "}" }

// Receiver gets every message of the subscribed rooms.
type Receiver func(room uuid.UUID, msg []byte)

// Broker implements hub.Broker on Redis.
//
// On a single Redis the subscribed rooms share one pub/sub connection; on a cluster each room has a
// connection of its own (shardOf), which go-redis binds to the master of the room's slot. Sharing a
// connection among the rooms of one master (subscribing again room by room after a lost connection) is
// not built yet, nor following slots that move between masters (resharding, failover to a replica): the
// bus is tested on a fixed set of masters.
type Broker struct {
	rdb     redis.UniversalClient
	replica string
	log     *slog.Logger
	recv    Receiver
	resync  func(room uuid.UUID)

	mu        sync.Mutex
	closed    bool
	shards    map[string]*shard    // by shardOf
	roomShard map[uuid.UUID]string // the shard of each room with a subscribed channel
	roomChans map[uuid.UUID]int    // how many of its channels are subscribed
	waiters   map[string][]chan struct{}
}

// shard is a pub/sub connection and the channels it carries.
type shard struct {
	ps       *redis.PubSub
	channels map[string]struct{}
}

// NewBroker returns a broker on rdb (a *redis.Client or a *redis.ClusterClient); Run keeps the replica's
// liveness key. recv gets the messages; resync is called when a room's subscription became active without
// a Subscribe waiting for it (hub.Broker).
func NewBroker(rdb redis.UniversalClient, replica string, log *slog.Logger, recv Receiver, resync func(room uuid.UUID)) *Broker {
	return &Broker{rdb: rdb, replica: replica, log: log, recv: recv, resync: resync,
		shards: map[string]*shard{}, roomShard: map[uuid.UUID]string{}, roomChans: map[uuid.UUID]int{}, waiters: map[string][]chan struct{}{}}
}

// Run keeps this replica's liveness key until ctx ends, then closes every subscription.
func (b *Broker) Run(ctx context.Context) {
	go b.heartbeat(ctx)
	<-ctx.Done()
	b.mu.Lock()
	b.closed = true
	shards := b.shards
	b.shards, b.roomShard, b.roomChans = map[string]*shard{}, map[uuid.UUID]string{}, map[uuid.UUID]int{}
	b.mu.Unlock()
	for _, sh := range shards {
		_ = sh.ps.Close()
	}
}

// shardOf returns the key of the connection a room's subscriptions share. On a cluster every room has
// its own: go-redis subscribes again after a lost connection with a single SSUBSCRIBE of all the
// connection's channels, which a cluster refuses (CROSSSLOT) unless they share a hash slot (a room's
// channels do).
func (b *Broker) shardOf(room uuid.UUID) string {
	if _, ok := b.rdb.(*redis.ClusterClient); ok {
		return room.String()
	}
	return ""
}

// receive delivers the messages of one shard's subscriptions until it is closed.
func (b *Broker) receive(key string, ps *redis.PubSub) {
	for {
		msg, err := ps.Receive(context.Background())
		if err != nil {
			b.mu.Lock()
			sh := b.shards[key]
			current := sh != nil && sh.ps == ps
			b.mu.Unlock()
			// Unsubscribe and Run's end close the connection under a blocked read: not a failure.
			if !current || errors.Is(err, redis.ErrClosed) {
				return
			}
			b.log.Warn("pubsub receive failed; retrying", "shard", key, "err", err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			if room, ok := roomOf(m.Channel); ok {
				b.recv(room, []byte(m.Payload))
			}
		case *redis.Subscription:
			if m.Kind != "ssubscribe" {
				continue
			}
			b.mu.Lock()
			ws := b.waiters[m.Channel]
			for _, w := range ws {
				close(w)
			}
			delete(b.waiters, m.Channel)
			b.mu.Unlock()
			// go-redis subscribes again after a lost connection, and a Subscribe may have given up
			// waiting: either way messages published meanwhile were missed.
			if room, ok := roomOf(m.Channel); ok && len(ws) == 0 {
				b.resync(room)
			}
		}
	}
}

func roomOf(channel string) (uuid.UUID, bool) {
	id, _, ok := strings.Cut(strings.TrimPrefix(channel, channelPrefix), "}")
	room, err := uuid.Parse(id)
	return room, ok && err == nil
}

func (b *Broker) heartbeat(ctx context.Context) {
	t := time.NewTicker(replicaTTL / 3)
	defer t.Stop()
	for {
		if err := b.rdb.Set(ctx, replicaPrefix+b.replica, time.Now().Unix(), replicaTTL).Err(); err != nil && ctx.Err() == nil {
			b.log.Warn("replica heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			b.rdb.Del(c, replicaPrefix+b.replica)
			cancel()
			return
		case <-t.C:
		}
	}
}

// Subscribe implements hub.Broker: it returns after Redis confirmed the subscription. go-redis keeps
// the channel even when the command fails, and subscribes again with every new connection.
func (b *Broker) Subscribe(ctx context.Context, room uuid.UUID, c hub.Channel) error {
	ch := channel(room, c)
	w := make(chan struct{})
	key := b.shardOf(room)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return fmt.Errorf("subscribe %s: the broker stopped", ch)
	}
	sh, fresh := b.shards[key], false
	if sh == nil {
		sh, fresh = &shard{ps: b.rdb.SSubscribe(context.Background()), channels: map[string]struct{}{}}, true
		b.shards[key] = sh
	}
	if _, ok := sh.channels[ch]; !ok {
		sh.channels[ch] = struct{}{}
		b.roomShard[room] = key
		b.roomChans[room]++
	}
	b.waiters[ch] = append(b.waiters[ch], w)
	b.mu.Unlock()
	err := sh.ps.SSubscribe(ctx, ch)
	if fresh {
		// Only now: a Receive on a connection without channels would connect to any node, and the
		// channel, once known (even after a failed SSubscribe), routes the connection to its slot's node.
		go b.receive(key, sh.ps)
	}
	if err == nil {
		select {
		case <-w:
			return nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	// Stop waiting, so that the confirmation, when it comes, calls resync.
	b.mu.Lock()
	b.waiters[ch] = slices.DeleteFunc(b.waiters[ch], func(c chan struct{}) bool { return c == w })
	if len(b.waiters[ch]) == 0 {
		delete(b.waiters, ch)
	}
	b.mu.Unlock()
	select {
	case <-w:
		return nil // confirmed just now
	default:
	}
	return fmt.Errorf("subscribe %s: %w", ch, err)
}

// Unsubscribe implements hub.Broker; the last channel of a shard closes its connection.
func (b *Broker) Unsubscribe(ctx context.Context, room uuid.UUID, c hub.Channel) error {
	ch := channel(room, c)
	b.mu.Lock()
	key, ok := b.roomShard[room]
	sh := b.shards[key]
	if !ok || sh == nil {
		b.mu.Unlock()
		return nil
	}
	if _, ok := sh.channels[ch]; !ok {
		b.mu.Unlock()
		return nil
	}
	delete(sh.channels, ch)
	if b.roomChans[room]--; b.roomChans[room] == 0 {
		delete(b.roomChans, room)
		delete(b.roomShard, room)
	}
	last := len(sh.channels) == 0
	if last {
		delete(b.shards, key)
	}
	b.mu.Unlock()
	if last {
		return sh.ps.Close()
	}
	return sh.ps.SUnsubscribe(ctx, ch)
}

// Publish implements hub.Broker in one pipelined round trip (on a cluster, one per master concerned;
// a room's messages all go to its master, in order).
func (b *Broker) Publish(ctx context.Context, msgs []hub.Publication) error {
	pipe := b.rdb.Pipeline()
	for _, m := range msgs {
		pipe.SPublish(ctx, channel(m.Room, m.Channel), m.Data)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// AddPeer implements hub.Broker. The hash value is "<replica> <Peer protobuf>".
func (b *Broker) AddPeer(ctx context.Context, room uuid.UUID, peer *realtimev1.Peer) error {
	enc, err := proto.Marshal(peer)
	if err != nil {
		return err
	}
	return b.rdb.HSet(ctx, presence(room), fmt.Sprint(peer.GetSessionId()), b.replica+" "+string(enc)).Err()
}

// RemovePeer implements hub.Broker.
func (b *Broker) RemovePeer(ctx context.Context, room uuid.UUID, session uint32) error {
	return b.rdb.HDel(ctx, presence(room), fmt.Sprint(session)).Err()
}

// Peers implements hub.Broker: peers of replicas whose liveness key expired are dropped and removed.
func (b *Broker) Peers(ctx context.Context, room uuid.UUID) ([]*realtimev1.Peer, error) {
	all, err := b.rdb.HGetAll(ctx, presence(room)).Result()
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	var out []*realtimev1.Peer
	var stale []string
	for field, v := range all {
		replica, enc, ok := strings.Cut(v, " ")
		if !ok {
			stale = append(stale, field)
			continue
		}
		live, seen := alive[replica]
		if !seen {
			n, err := b.rdb.Exists(ctx, replicaPrefix+replica).Result()
			if err != nil {
				return nil, err
			}
			live = n == 1
			alive[replica] = live
		}
		p := &realtimev1.Peer{}
		if !live || proto.Unmarshal([]byte(enc), p) != nil {
			stale = append(stale, field)
			continue
		}
		out = append(out, p)
	}
	if len(stale) > 0 {
		b.rdb.HDel(ctx, presence(room), stale...)
	}
	return out, nil
}

// CountViewer implements hub.Broker: a hash per room, one field per replica.
func (b *Broker) CountViewer(ctx context.Context, room uuid.UUID, delta int) error {
	return b.rdb.HIncrBy(ctx, viewers(room), b.replica, int64(delta)).Err()
}

// Viewers implements hub.Broker: the counts of replicas whose liveness key expired are dropped and
// removed.
func (b *Broker) Viewers(ctx context.Context, room uuid.UUID) (int, error) {
	all, err := b.rdb.HGetAll(ctx, viewers(room)).Result()
	if err != nil {
		return 0, err
	}
	n := 0
	var stale []string
	for replica, v := range all {
		alive, err := b.rdb.Exists(ctx, replicaPrefix+replica).Result()
		if err != nil {
			return 0, err
		}
		count, err := strconv.Atoi(v)
		if alive == 0 || err != nil {
			stale = append(stale, replica)
			continue
		}
		n += max(count, 0)
	}
	if len(stale) > 0 {
		b.rdb.HDel(ctx, viewers(room), stale...)
	}
	return n, nil
}

// Ping checks Redis for readiness.
func (b *Broker) Ping(ctx context.Context) error { return b.rdb.Ping(ctx).Err() }
