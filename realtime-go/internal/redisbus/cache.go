package redisbus

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// PageCache caches the first page of a room's events (the since=0 read of a board that opens) for a
// short time, invalidated by every write to the room. Entries are keyed by the room's write generation,
// which every commit bumps: a write makes every older entry unreachable at once, and a read that raced
// with a write stores its page under the old generation, where no one looks any more.
type PageCache struct {
	rdb *redis.Client
	ttl time.Duration
}

// NewPageCache returns a cache whose entries live at most ttl.
func NewPageCache(rdb *redis.Client, ttl time.Duration) *PageCache {
	return &PageCache{rdb: rdb, ttl: ttl}
}

func genKey(room uuid.UUID) string { return "infidraw:gen:{" + room.String() + "}" }

func pagePrefix(room uuid.UUID) string { return "infidraw:page0:{" + room.String() + "}:" }

var getPage = redis.NewScript(`
local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. ARGV[2] .. ':' .. g) or ''}`)

// Get returns the cached page (nil on a miss) and the generation to store a fresh page under.
func (c *PageCache) Get(ctx context.Context, room uuid.UUID, limit int) (page []byte, gen string, err error) {
	res, err := getPage.Run(ctx, c.rdb, []string{genKey(room)}, pagePrefix(room), limit).StringSlice()
	if err != nil {
		return nil, "", err
	}
	if res[1] == "" {
		return nil, res[0], nil
	}
	return []byte(res[1]), res[0], nil
}

// Set stores a page read after Get returned gen.
func (c *PageCache) Set(ctx context.Context, room uuid.UUID, limit int, gen string, page []byte) error {
	key := pagePrefix(room) + strconv.Itoa(limit) + ":" + gen
	return c.rdb.Set(ctx, key, page, c.ttl).Err()
}

// Invalidate bumps the rooms' generations; the writer calls it after every commit, before fan-out.
func (c *PageCache) Invalidate(ctx context.Context, rooms []uuid.UUID) error {
	pipe := c.rdb.Pipeline()
	for _, r := range rooms {
		pipe.Incr(ctx, genKey(r))
		pipe.Expire(ctx, genKey(r), 24*time.Hour)
	}
	_, err := pipe.Exec(ctx)
	return err
}
