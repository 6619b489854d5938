package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The probe exits 0 only on a 200: a draining cloud (503) or none at all
// is unhealthy.
func TestProbeSaysReadyOnlyOnA200(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(`{"ready":true}`))
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := runIO([]string{"probe", "-url", srv.URL}, nil, &out); err != nil || !strings.Contains(out.String(), "ready") {
		t.Fatalf("a ready cloud: %v %q", err, out.String())
	}
	status = http.StatusServiceUnavailable
	if err := runIO([]string{"probe", "-url", srv.URL}, nil, &out); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a draining cloud: %v", err)
	}
	srv.Close()
	if err := runIO([]string{"probe", "-url", srv.URL}, nil, &out); err == nil {
		t.Fatal("no cloud at all passed")
	}
}
