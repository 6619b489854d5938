package contract

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func FuzzParseHolders(f *testing.F) {
	f.Add("doc_type,doc_number,name\nresident_id,11010519491231002X,张三\n")
	f.Add("doc_type,doc_number,name\npassport,E12345678,Li Lei\npassport,E12345678,Li Lei\n")
	f.Fuzz(func(t *testing.T, in string) {
		hs, probs := ParseHolders(strings.NewReader(in), now)
		if len(probs) > 0 && hs != nil {
			t.Fatal("holders and problems at once")
		}
		for _, h := range hs {
			if h.DocNumber == "" || h.Name == "" || len([]rune(h.Name)) > 80 {
				t.Fatalf("accepted %+v", h)
			}
		}
	})
}

func TestParseHoldersNamesEveryBadLine(t *testing.T) {
	hs, probs := ParseHolders(strings.NewReader("doc_type,doc_number,name\nresident_id,11010519491231002X,张三\npassport,E1,x\nresident_id,11010519491231002X,again\nbogus,1,x\n"), now)
	if hs != nil || len(probs) != 3 || probs[0].Line != 3 || probs[1].Line != 4 || probs[2].Line != 5 {
		t.Fatalf("%+v %+v", hs, probs)
	}
}
