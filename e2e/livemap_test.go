package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
)

// TestThePOSFollowsTheSeatMapThroughItsAgent reads the live seat map the
// POS screen follows, through the agent's /sell proxy: the whole map, then
// a sale made elsewhere as it commits; and ?since= reaches the cloud.
func TestThePOSFollowsTheSeatMapThroughItsAgent(t *testing.T) {
	w := newWorld(t, embedded)
	pos := w.agent(w.device("pos", "window-1"))
	w.caughtUp(pos)
	var login sales.LoginResult
	if code := call(t, "POST", pos.URL()+"/sell/login", map[string]string{"username": "clerk", "password": pw}, &login); code != 200 {
		t.Fatalf("clerk login through the agent: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/sell/sessions/%d/availability/stream", pos.URL(), w.session.ID), nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("the proxied stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	docs := make(chan avail.Document, 16)
	go func() {
		defer close(docs)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d avail.Document
				if json.Unmarshal([]byte(data), &d) == nil {
					docs <- d
				}
			}
		}
	}()
	next := func(what string) avail.Document {
		t.Helper()
		select {
		case d, ok := <-docs:
			if !ok {
				t.Fatalf("%s: the stream ended", what)
			}
			return d
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not come through the agent within 5 s", what)
		}
		return avail.Document{}
	}
	first := next("the whole map")
	if first.Seats == nil || len(*first.Seats) != len(w.seats) {
		t.Fatalf("the first message is not the whole map: %+v", first)
	}
	codes, version := []byte(*first.Seats), first.Version
	o := w.sell(1)
	pos0 := -1
	for i, s := range w.seats {
		if s.SeatID == o.Tickets[0].SeatID {
			pos0 = i
		}
	}
	for codes[pos0] != 'S' {
		d := next("the sale")
		if codes, version, err = d.Follow(codes, version); err != nil {
			t.Fatal(err)
		}
	}
	// The polling form passes ?since= through the agent.
	var d avail.Document
	if code := callAuth(t, "GET", fmt.Sprintf("%s/sell/sessions/%d/availability?since=%d", pos.URL(), w.session.ID, version), login.Token, &d); code != 200 ||
		d.Seats != nil || d.Since == nil || *d.Since != version {
		t.Fatalf("availability?since=%d through the agent: %d %+v", version, code, d)
	}
}

func callAuth(t *testing.T, method, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %d: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode
}
