package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run is a small `go test -json` stream: a passing package, one whose
// tests skip for two reasons, a failing test, a build error.
const run = `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Output":"PASS\n"}
{"Action":"output","Package":"ex/a","Output":"ok  \tex/a\t0.1s\n"}
{"Action":"pass","Package":"ex/a"}
{"Action":"output","Package":"ex/b","Test":"TestDB1","Output":"=== RUN   TestDB1\n"}
{"Action":"output","Package":"ex/b","Test":"TestDB1","Output":"    db_test.go:12: db tests skipped: SG_DB not set (set SG_DB)\n"}
{"Action":"output","Package":"ex/b","Test":"TestDB1","Output":"--- SKIP: TestDB1 (0.00s)\n"}
{"Action":"skip","Package":"ex/b","Test":"TestDB1"}
{"Action":"output","Package":"ex/b","Test":"TestDB2/sub","Output":"    db_test.go:12: db tests skipped: SG_DB not set (set SG_DB)\n"}
{"Action":"skip","Package":"ex/b","Test":"TestDB2/sub"}
{"Action":"output","Package":"ex/b","Test":"TestDB2","Output":"    db_test.go:12: db tests skipped: SG_DB not set (set SG_DB)\n"}
{"Action":"skip","Package":"ex/b","Test":"TestDB2"}
{"Action":"output","Package":"ex/b","Test":"TestBrowser","Output":"    main_test.go:9: chromium not found\n"}
{"Action":"skip","Package":"ex/b","Test":"TestBrowser"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"    b_test.go:7: got 1, want 2\n"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestBad"}
{"Action":"output","Package":"ex/b","Output":"FAIL\n"}
{"Action":"output","Package":"ex/b","Output":"FAIL\tex/b\t0.2s\n"}
{"Action":"fail","Package":"ex/b"}
{"ImportPath":"ex/c","Action":"build-output","Output":"c.go:3:1: syntax error\n"}
{"ImportPath":"ex/c","Action":"build-fail"}
not json at all
`

func TestSummarize(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(run), &out)
	require.NoError(t, err)
	assert.True(t, failed)
	assert.Equal(t, `ok  	ex/a	0.1s
=== RUN   TestBad
    b_test.go:7: got 1, want 2
--- FAIL: TestBad (0.00s)
FAIL
FAIL	ex/b	0.2s
c.go:3:1: syntax error
not json at all
skipped: 2 tests in ex/b — db tests skipped: SG_DB not set (set SG_DB)
skipped: 1 test in ex/b — chromium not found
`, out.String())
}

func TestSummarizeAllPassing(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(strings.SplitAfter(run, `{"Action":"pass","Package":"ex/a"}`+"\n")[0]), &out)
	require.NoError(t, err)
	assert.False(t, failed)
	assert.Equal(t, "ok  \tex/a\t0.1s\n", out.String())
}
