package main

import (
	"fmt"
	"log/slog"

	"github.com/sessionguard/sessionguard/server/gcfloor"
)

// DefaultGCFloorMiB is -gc-floor-mib's default: a status check allocates a
// few KiB (mostly net/http's), so at Go's 4 MiB minimum a busy server
// collects every thousand requests or so and marks its whole live heap each
// time; at 32 MiB it collects about ten times less often (docs/PERFORMANCE.md,
// "the collector's floor").
const DefaultGCFloorMiB = 32

// maxGCFloorMiB bounds -gc-floor-mib at 64 GiB.
const maxGCFloorMiB = 64 << 10

// gcFloor applies -gc-floor-mib for as long as the server runs, unless GOGC
// is set (the operator's own setting wins; the log says so).
func gcFloor(c config, log *slog.Logger) (stop func(), err error) {
	if c.gcFloorMiB < 0 || c.gcFloorMiB > maxGCFloorMiB {
		return nil, fmt.Errorf("-gc-floor-mib %d: want 0 (Go's default) to %d", c.gcFloorMiB, maxGCFloorMiB)
	}
	if c.gcFloorMiB == 0 {
		return func() {}, nil
	}
	if c.gogcSet {
		log.Info("GOGC is set, so -gc-floor-mib is not applied")
		return func() {}, nil
	}
	return gcfloor.Start(uint64(c.gcFloorMiB) << 20), nil
}
