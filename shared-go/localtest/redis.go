package localtest

import (
	"os"
	"testing"
)

// Redis is one setup realtime-go's bus runs on: the single Redis (URL) or the Redis Cluster (ClusterURL,
// which realtime-go uses instead of URL when set).
type Redis struct {
	Name            string
	URL, ClusterURL string
}

// Env is realtime-go's environment for the setup.
func (r Redis) Env() []string {
	return []string{"REDIS_URL=" + r.URL, "REDIS_CLUSTER_URL=" + r.ClusterURL}
}

// Redises returns both setups, from REDIS_URL and REDIS_CLUSTER_URL (`scripts/backing.sh start redis
// redis-cluster`); a missing one fails the test rather than leaving the bus untested on it.
func Redises(t testing.TB) []Redis {
	t.Helper()
	url, clusterURL := os.Getenv("REDIS_URL"), os.Getenv("REDIS_CLUSTER_URL")
	if url == "" || clusterURL == "" {
		t.Fatal("REDIS_URL and REDIS_CLUSTER_URL must point at the single Redis and the Redis Cluster (make test starts them)")
	}
	return []Redis{{Name: "redis", URL: url}, {Name: "redis-cluster", URL: url, ClusterURL: clusterURL}}
}
