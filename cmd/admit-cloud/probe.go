package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// probe asks a cloud whether it is ready (GET url, 200 or not): a
// container's health check, in an image with no curl or shell.
func probe(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admit-cloud probe", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/health/ready", "what to ask")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: %s answered %s: %s", *url, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return nil
}
