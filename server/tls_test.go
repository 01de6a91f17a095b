package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and
// localhost, and its key, as PEM files; it returns their paths and a pool
// that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sessionguard test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600))
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSAndHSTS: with -tls-cert and -tls-key the server speaks HTTPS and
// sends Strict-Transport-Security; over plain http it never does.
func TestTLSAndHSTS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	addr := startServer(t, "-store", "memory", "-demo", "-tls-cert", certFile, "-tls-key", keyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	for _, path := range []string{"/healthz", "/api/session", "/", "/dashboard"} {
		req, err := http.NewRequest("GET", "https://"+addr+path, nil)
		require.NoError(t, err)
		resp, err := (&http.Client{Transport: client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Less(t, resp.StatusCode, 500, path)
		assert.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"), path)
	}
	resp, err := client.Post("https://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "signs in over TLS")

	resp, err = http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "no plain http on the TLS listener")

	plain := startServer(t, "-store", "memory")
	resp, err = http.Get("http://" + plain + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Strict-Transport-Security"), "never over plain http")
}

func TestTLSFlagsGoTogether(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	for _, tt := range []struct {
		name string
		args []string
		msg  string
	}{
		{"cert only", []string{"-tls-cert", certFile}, "-tls-cert and -tls-key go together"},
		{"key only", []string{"-tls-key", keyFile}, "-tls-cert and -tls-key go together"},
		{"missing file", []string{"-tls-cert", certFile, "-tls-key", filepath.Join(t.TempDir(), "nope.pem")}, "-tls-cert/-tls-key"},
		{"key of another certificate", []string{"-tls-cert", certFile, "-tls-key", func() string { _, k, _ := selfSigned(t); return k }()}, "-tls-cert/-tls-key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"-addr", "127.0.0.1:0", "-store", "memory", "-static", staticDir(t)}, tt.args...)
			code := run(context.Background(), args, envMap(nil), nil, io.Discard, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tt.msg)
		})
	}
}

// TestAllowedHosts: with -allowed-hosts (or SG_ALLOWED_HOSTS) a request for
// another Host, as a DNS-rebinding page sends, gets 421; without it every
// Host is answered.
func TestAllowedHosts(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, nil, envMap(map[string]string{"SG_ALLOWED_HOSTS": "app.example.com"}), io.Discard))
	assert.Equal(t, "app.example.com", c.allowedHosts, "read from the environment like every flag")

	addr := startServer(t, "-store", "memory", "-allowed-hosts", "localhost, app.example.com:8443")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	get := func(host string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", "http://"+addr+"/api/session", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	for _, tt := range []struct {
		host string
		code int
	}{
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST:" + port, http.StatusOK},
		{"localhost", http.StatusOK},
		{"app.example.com:8443", http.StatusOK},
		{"app.example.com", http.StatusMisdirectedRequest},
		{"127.0.0.1:" + port, http.StatusMisdirectedRequest},
		{"evil.example:" + port, http.StatusMisdirectedRequest},
		{"localhost.evil.example", http.StatusMisdirectedRequest},
	} {
		t.Run(tt.host, func(t *testing.T) {
			resp := get(tt.host)
			defer resp.Body.Close()
			assert.Equal(t, tt.code, resp.StatusCode)
			if tt.code == http.StatusMisdirectedRequest {
				b, _ := io.ReadAll(resp.Body)
				assert.JSONEq(t, `{"error":"this server does not answer for that host name"}`, string(b))
				assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			}
		})
	}

	open := startServer(t, "-store", "memory")
	req, err := http.NewRequest("GET", "http://"+open+"/api/session", nil)
	require.NoError(t, err)
	req.Host = "anything.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "empty -allowed-hosts answers every Host")

	var stderr bytes.Buffer
	code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-store", "memory", "-static", staticDir(t), "-allowed-hosts", "https://app.example.com/"},
		envMap(nil), nil, io.Discard, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "bad allowed host")
}
