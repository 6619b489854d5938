package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// buildChain returns n sealed entries with varied contents.
func buildChain(n int) []Entry {
	base := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	entries := make([]Entry, n)
	prevSeq, prevHash := int64(0), GenesisHash
	for i := range entries {
		e := Entry{
			At:       base.Add(time.Duration(i) * 1500 * time.Millisecond),
			TenantID: int64(1 + i%3),
			VenueID:  int64(i % 2 * 7),
			Actor:    fmt.Sprintf("user:%d alice", 10+i),
			Action:   "order.pay",
			Object:   fmt.Sprintf("order:%d", 50+i),
			Before:   json.RawMessage(fmt.Sprintf(`{"status":"reserved","total":%d}`, 1000+i)),
			After:    json.RawMessage(fmt.Sprintf(`{"status":"paid","total":%d}`, 1000+i)),
			Reason:   "customer paid at box office",
			Approver: "user:3 bob",
		}
		if i%2 == 1 {
			e.RequestID = fmt.Sprintf("req-%d", i)
		}
		Seal(&e, prevSeq, prevHash)
		prevSeq, prevHash = e.Seq, e.Hash
		entries[i] = e
	}
	return entries
}

func head(entries []Entry) (int64, string) {
	if len(entries) == 0 {
		return 0, GenesisHash
	}
	last := entries[len(entries)-1]
	return last.Seq, last.Hash
}

func clone(entries []Entry) []Entry { return append([]Entry(nil), entries...) }

// wantBreak asserts err is a *Break of the given kind at the given Seq.
func wantBreak(t *testing.T, err error, kind BreakKind, seq int64) *Break {
	t.Helper()
	var b *Break
	if !errors.As(err, &b) {
		t.Fatalf("got %v, want %s break at entry %d", err, kind, seq)
	}
	if b.Kind != kind || b.Seq != seq {
		t.Fatalf("got %q, want %s break at entry %d", b.Error(), kind, seq)
	}
	return b
}

func TestSealedChainVerifies(t *testing.T) {
	chain := buildChain(10)
	for i, e := range chain {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has Seq %d", i, e.Seq)
		}
		if i == 0 && e.PrevHash != GenesisHash {
			t.Fatalf("first entry PrevHash = %q, want GenesisHash", e.PrevHash)
		}
		if i > 0 && e.PrevHash != chain[i-1].Hash {
			t.Fatalf("entry %d not linked to its predecessor", e.Seq)
		}
	}
	hs, hh := head(chain)
	if err := Verify(chain, hs, hh); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	v := NewVerifier()
	for _, e := range chain {
		if err := v.Check(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Finish(hs, hh); err != nil {
		t.Fatal(err)
	}
	if v.Count() != 10 {
		t.Fatalf("Count = %d, want 10", v.Count())
	}
}

func TestEmptyChainVerifiesAgainstGenesisHead(t *testing.T) {
	if err := Verify(nil, 0, GenesisHash); err != nil {
		t.Fatal(err)
	}
	if err := Verify(nil, 0, ""); err != nil {
		t.Fatal(err)
	}
	wantBreak(t, Verify(nil, 1, "abc"), Removed, 1)
}

func TestGenesisHashIs64Zeros(t *testing.T) {
	if GenesisHash != strings.Repeat("0", 64) {
		t.Fatalf("GenesisHash = %q", GenesisHash)
	}
}

func TestAlteringAnySingleFieldIsDetectedAtThatEntry(t *testing.T) {
	fields := []struct {
		name  string
		alter func(*Entry)
	}{
		{"At", func(e *Entry) { e.At = e.At.Add(time.Nanosecond) }},
		{"Actor", func(e *Entry) { e.Actor += "x" }},
		{"Action", func(e *Entry) { e.Action = "order.refund" }},
		{"Object", func(e *Entry) { e.Object = "order:1" }},
		{"Before", func(e *Entry) { e.Before = json.RawMessage(`{"status":"paid"}`) }},
		{"After", func(e *Entry) { e.After = nil }},
		{"Reason", func(e *Entry) { e.Reason = "" }},
		{"Approver", func(e *Entry) { e.Approver = "user:4 mallory" }},
		{"TenantID", func(e *Entry) { e.TenantID++ }},
		{"VenueID", func(e *Entry) { e.VenueID-- }},
		{"PrevHash", func(e *Entry) { e.PrevHash = GenesisHash[:63] + "1" }},
		{"Hash", func(e *Entry) { e.Hash = GenesisHash }},
		{"RequestID", func(e *Entry) { e.RequestID += "x" }},
	}
	chain := buildChain(10)
	hs, hh := head(chain)
	for _, f := range fields {
		for k := int64(1); k <= 10; k++ {
			t.Run(fmt.Sprintf("%s of entry %d", f.name, k), func(t *testing.T) {
				c := clone(chain)
				f.alter(&c[k-1])
				wantBreak(t, Verify(c, hs, hh), Altered, k)
			})
		}
	}
}

func TestDeletingAMiddleEntryIsDetectedAsRemoved(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	for k := int64(1); k <= 9; k++ {
		t.Run(fmt.Sprintf("entry %d", k), func(t *testing.T) {
			c := append(clone(chain[:k-1]), chain[k:]...)
			b := wantBreak(t, Verify(c, hs, hh), Removed, k)
			if !strings.Contains(b.Detail, fmt.Sprintf("entry %d missing", k)) {
				t.Fatalf("detail %q", b.Detail)
			}
		})
	}
}

func TestDeletingSeveralEntriesNamesTheMissingRange(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	c := append(clone(chain[:3]), chain[6:]...) // entries 4..6 gone
	b := wantBreak(t, Verify(c, hs, hh), Removed, 4)
	if b.Detail != "entries 4..6 missing" {
		t.Fatalf("detail %q", b.Detail)
	}
}

func TestDeletingTheLastEntryIsDetectedByFinish(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	v := NewVerifier()
	for _, e := range chain[:9] {
		if err := v.Check(e); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	wantBreak(t, v.Finish(hs, hh), Removed, 10)
	wantBreak(t, Verify(chain[:7], hs, hh), Removed, 8)
}

func TestSwappingTwoWholeEntriesIsDetectedAsReordered(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	for i := 1; i <= 10; i++ {
		for j := i + 1; j <= 10; j++ {
			t.Run(fmt.Sprintf("entries %d and %d", i, j), func(t *testing.T) {
				c := clone(chain)
				c[i-1], c[j-1] = c[j-1], c[i-1]
				wantBreak(t, Verify(c, hs, hh), Reordered, int64(i))
			})
		}
	}
}

func TestADuplicatedEntryIsDetectedAsReordered(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	c := append(clone(chain[:5]), chain[4:]...) // entry 5 stored twice
	wantBreak(t, Verify(c, hs, hh), Reordered, 5)
}

func TestSwappingRowContentsButKeepingSeqIsAlteredAtTheFirst(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	c := clone(chain)
	c[2], c[6] = c[6], c[2]
	c[2].Seq, c[6].Seq = 3, 7
	wantBreak(t, Verify(c, hs, hh), Altered, 3)
}

func TestRehashingATamperedEntryIsDetectedAtTheNextEntryAsABrokenLink(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	for k := int64(1); k <= 9; k++ {
		t.Run(fmt.Sprintf("entry %d", k), func(t *testing.T) {
			c := clone(chain)
			c[k-1].After = json.RawMessage(`{"status":"refunded"}`)
			c[k-1].Hash = c[k-1].ComputeHash()
			b := wantBreak(t, Verify(c, hs, hh), Altered, k+1)
			if b.Detail != "link to previous entry rewritten" {
				t.Fatalf("detail %q", b.Detail)
			}
		})
	}
	t.Run("last entry, caught by the chain head", func(t *testing.T) {
		c := clone(chain)
		c[9].Reason = "nothing to see"
		c[9].Hash = c[9].ComputeHash()
		wantBreak(t, Verify(c, hs, hh), Altered, 10)
	})
}

func TestRewritingTheWholeTailIsCaughtByTheChainHead(t *testing.T) {
	chain := buildChain(10)
	hs, hh := head(chain)
	c := clone(chain)
	c[4].Actor = "system"
	for i := 4; i < len(c); i++ {
		Seal(&c[i], c[i-1].Seq, c[i-1].Hash)
	}
	wantBreak(t, Verify(c, hs, hh), Altered, 10)
}

func TestExtraEntriesBeyondTheChainHeadAreAltered(t *testing.T) {
	chain := buildChain(10)
	wantBreak(t, Verify(chain, 8, chain[7].Hash), Altered, 9)
}

func TestMovingBytesBetweenFieldsChangesTheHash(t *testing.T) {
	cases := []struct {
		name string
		a, b Entry
	}{
		{"Actor/Action", Entry{Actor: "ab", Action: "c"}, Entry{Actor: "a", Action: "bc"}},
		{"Action/Object", Entry{Action: "order.pa", Object: "y"}, Entry{Action: "order.p", Object: "ay"}},
		{"Before/After", Entry{Before: json.RawMessage(`1`), After: json.RawMessage(`2`)}, Entry{Before: json.RawMessage(`12`)}},
		{"Reason/Approver", Entry{Reason: "x"}, Entry{Approver: "x"}},
		{"TenantID/VenueID", Entry{TenantID: 1}, Entry{VenueID: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.a.ComputeHash() == tc.b.ComputeHash() {
				t.Fatal("hashes equal")
			}
		})
	}
}

func TestComputeHashIsStableAcrossTimeZones(t *testing.T) {
	e := buildChain(1)[0]
	local := e
	local.At = e.At.In(time.FixedZone("CET", 3600))
	if local.ComputeHash() != e.Hash {
		t.Fatal("hash depends on the time zone of At")
	}
	if len(e.Hash) != 64 {
		t.Fatalf("hash %q is not hex sha256", e.Hash)
	}
}

func TestAChainSurvivesAJSONRoundTrip(t *testing.T) {
	chain := buildChain(10)
	data, err := json.Marshal(chain)
	if err != nil {
		t.Fatal(err)
	}
	var got []Entry
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	hs, hh := head(chain)
	if err := Verify(got, hs, hh); err != nil {
		t.Fatal(err)
	}
}

func TestAfterABreakTheVerifierKeepsReturningIt(t *testing.T) {
	chain := buildChain(10)
	c := clone(chain)
	c[3].Object = "order:0"
	v := NewVerifier()
	var first error
	for _, e := range c {
		if err := v.Check(e); err != nil && first == nil {
			first = err
		} else if first != nil && err != first {
			t.Fatalf("later Check returned %v, want %v", err, first)
		}
	}
	wantBreak(t, first, Altered, 4)
	if err := v.Finish(head(chain)); err != first {
		t.Fatalf("Finish returned %v, want %v", err, first)
	}
	if v.Count() != 3 {
		t.Fatalf("Count = %d, want 3", v.Count())
	}
}

func TestBreakErrorReadsAsASentence(t *testing.T) {
	b := &Break{Seq: 17, Kind: Altered, Detail: "hash mismatch"}
	var err error = b
	if got, want := err.Error(), "audit chain broken at entry 17: altered (hash mismatch)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func BenchmarkComputeHash(b *testing.B) {
	e := buildChain(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		_ = e.ComputeHash()
	}
}

func BenchmarkVerify100000(b *testing.B) {
	chain := buildChain(100_000)
	hs, hh := head(chain)
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(chain, hs, hh); err != nil {
			b.Fatal(err)
		}
	}
}

// An entry sealed before request ids were kept has none; its hash must not
// move now that the field exists. The figure is the hash such an entry got
// from the encoding before the field was added.
func TestAnEntryWithoutRequestIDHashesAsBefore(t *testing.T) {
	e := Entry{Seq: 1, At: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC), TenantID: 1, Actor: "system",
		Action: "tenant.create", Object: "tenant:1", PrevHash: GenesisHash}
	const want = "8dc5e12c8faaa379b2eb420a657a05b3429c18b548476ac2d748f7b659839329"
	if got := e.ComputeHash(); got != want {
		t.Fatalf("hash %s, want %s", got, want)
	}
	e.RequestID = "r1"
	if e.ComputeHash() == want {
		t.Fatal("a request id does not change the hash")
	}
}
