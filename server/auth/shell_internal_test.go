package auth

import "testing"

// TestHeadTagEnd: the compile script goes just past the <head> tag, in any
// case and with attributes; a shell without one gets it at the end of its
// head part (never before the doctype), and <header> is no head.
func TestHeadTagEnd(t *testing.T) {
	for _, c := range []struct {
		head string
		want int
	}{
		{`<!doctype html><html><head><meta charset="utf-8">`, len(`<!doctype html><html><head>`)},
		{`<!DOCTYPE html><HTML><HEAD lang="en"><link rel=stylesheet href=/a.css>`, len(`<!DOCTYPE html><HTML><HEAD lang="en">`)},
		{"<html><head\n  data-x=1>", len("<html><head\n  data-x=1>")},
		{`<html><header></header><head>`, len(`<html><header></header><head>`)},
		{`<!doctype html><title>no head tag</title>`, len(`<!doctype html><title>no head tag</title>`)},
		{`<html><header>`, len(`<html><header>`)},
		{`<html><head`, len(`<html><head`)},
		{``, 0},
	} {
		if got := headTagEnd([]byte(c.head)); got != c.want {
			t.Errorf("headTagEnd(%q) = %d, want %d", c.head, got, c.want)
		}
	}
}
