// Command etcd is the upstream etcd server, built from the pinned
// go.etcd.io/etcd/server/v3 module (the release Kubernetes pairs with).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"

	"github.com/apfbench/apfbench/hack/control-plane/internal/owner"
)

func main() {
	owner.Watch()
	etcdmain.Main(os.Args)
}
