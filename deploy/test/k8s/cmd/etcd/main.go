// Command etcd is etcd's own server (go.etcd.io/etcd/server/v3/etcdmain), built from the Go module proxy
// so that scripts/test-k8s.sh can give kube-apiserver a store without a prebuilt binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
