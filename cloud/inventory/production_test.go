package inventory

import (
	"strings"
	"testing"
)

func TestParseProductionNamesEveryBadLine(t *testing.T) {
	rs, probs := ParseProduction(strings.NewReader("number,rfid\n1100000126112300000019,04:a2:2b:1a\n1100000126112300000027,04A22B1A0102AB\n"))
	if len(probs) != 0 || len(rs) != 2 || rs[0].UID != "04A22B1A" {
		t.Fatalf("a good file: %+v %+v", rs, probs)
	}
	rs, probs = ParseProduction(strings.NewReader("number,rfid\n11,04A22B1A\n1100000126112300000019,zz\n1100000126112300000019,04A22B1A\n1100000126112300000019,04A22B1B\n1100000126112300000027,04A22B1A\n"))
	if rs != nil || len(probs) != 4 || probs[0].Line != 2 || probs[3].Line != 6 {
		t.Fatalf("a bad file: %+v %+v", rs, probs)
	}
}

func FuzzParseProduction(f *testing.F) {
	f.Add("number,rfid\n1100000126112300000019,04A22B1A\n")
	f.Add("number,rfid\n\"1100000126112300000019\",\"04 a2 2b 1a\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		rs, probs := ParseProduction(strings.NewReader(in))
		if len(probs) > 0 && rs != nil {
			t.Fatal("lines and problems at once")
		}
		seen := map[string]bool{}
		for _, r := range rs {
			if len(r.Number) != 22 || seen[r.UID] {
				t.Fatalf("accepted %+v", r)
			}
			seen[r.UID] = true
		}
	})
}
