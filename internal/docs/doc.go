// Package docs holds the tests that keep the project's documents honest:
// every link to a file resolves, and every test a document names as proof
// exists where the link points.
package docs
