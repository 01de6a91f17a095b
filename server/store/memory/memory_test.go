package memory_test

import (
	"testing"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
}

func BenchmarkSessionRead(b *testing.B) {
	storetest.BenchmarkSessionRead(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkTouch(b *testing.B) {
	storetest.BenchmarkTouch(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkRevoked(b *testing.B) {
	storetest.BenchmarkRevoked(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkRedeemRefreshToken(b *testing.B) {
	storetest.BenchmarkRedeemRefreshToken(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkIncr(b *testing.B) {
	storetest.BenchmarkIncr(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkCount(b *testing.B) {
	storetest.BenchmarkCount(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkUserSessions(b *testing.B) {
	storetest.BenchmarkUserSessions(b, func(*testing.B) store.Store { return memory.New() })
}

func BenchmarkCountSessions(b *testing.B) {
	storetest.BenchmarkCountSessions(b, func(*testing.B) store.Store { return memory.New() })
}
