package redisbus

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// NewClient connects to a Redis Cluster when clusterURL is set (redis://host:port?addr=host:port&…,
// go-redis' cluster URL: the seed nodes, with the password and TLS of the URL), else to the single Redis
// at url. Deadlines of contexts bound its calls (go-redis otherwise waits its own 3 s read timeout), so
// that a hung Redis delays a Join or a read by the hub's and the cache's bounds only.
func NewClient(url, clusterURL string) (redis.UniversalClient, error) {
	if clusterURL != "" {
		opts, err := redis.ParseClusterURL(clusterURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_CLUSTER_URL: %w", err)
		}
		opts.ContextTimeoutEnabled = true
		return redis.NewClusterClient(opts), nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}
