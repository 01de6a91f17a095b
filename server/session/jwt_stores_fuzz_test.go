//go:build sgfuzz

package session_test

import "testing"

// jwtStores, in a test binary built for fuzzing (-tags sgfuzz): the memory
// store only, so the binary links no database client (see
// jwt_stores_test.go, which the full test run builds instead).
var jwtStores = []string{"memory"}

func openStoredJWTStore(t *testing.T, name string) jwtStore {
	t.Fatalf("store %q: this test binary was built with -tags sgfuzz, which links the memory store only", name)
	return nil
}
