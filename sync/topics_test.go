package sync

import (
	"strings"
	"testing"
)

func TestTopicBuildersRoundTripThroughParseTopic(t *testing.T) {
	ids := []string{
		"a",
		"Z",
		"0",
		"-",
		"_",
		"venue-1",
		"dev_01-GATE-a",
		"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_",
		strings.Repeat("x", 64),
	}
	builders := []struct {
		name  string
		build func(string) string
		kind  TopicKind
	}{
		{"FeedTopic", FeedTopic, TopicFeed},
		{"UplinkTopic", UplinkTopic, TopicUplink},
		{"DownlinkTopic", DownlinkTopic, TopicDownlink},
	}
	for _, b := range builders {
		for _, id := range ids {
			topic := b.build(id)
			kind, got := ParseTopic(topic)
			if kind != b.kind || got != id {
				t.Errorf("ParseTopic(%s(%q) = %q) = (%v, %q), want (%v, %q)", b.name, id, topic, kind, got, b.kind, id)
			}
		}
	}
}

func TestTopicBuildersProduceTheDocumentedTopics(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{FeedTopic("v1"), "admit/v1/venue/v1/feed"},
		{UplinkTopic("d1"), "admit/v1/device/d1/up"},
		{DownlinkTopic("d1"), "admit/v1/device/d1/down"},
		{AllUplinks, "admit/v1/device/+/up"},
		{SharedUplinks("admit-0a1b2c"), "$share/admit-0a1b2c/admit/v1/device/+/up"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestParseTopicRejectsAnythingButAConcreteV1Topic(t *testing.T) {
	long := strings.Repeat("x", 65)
	tests := []struct {
		why   string
		topic string
	}{
		{"empty topic", ""},
		{"prefix alone", "admit/v1/"},
		{"prefix without its slash", "admit/v1"},
		{"single-level wildcard as device id", "admit/v1/device/+/up"},
		{"single-level wildcard as venue code", "admit/v1/venue/+/feed"},
		{"multi-level wildcard after device", "admit/v1/device/#"},
		{"multi-level wildcard as device id", "admit/v1/device/#/up"},
		{"wildcard inside an id", "admit/v1/device/ab+c/up"},
		{"wildcard as the last level", "admit/v1/device/d1/+"},
		{"the shared uplink subscription", SharedUplinks("admit-0a1b2c")},
		{"the unshared uplink subscription", AllUplinks},
		{"an extra level", "admit/v1/device/d1/up/extra"},
		{"a trailing slash", "admit/v1/device/d1/up/"},
		{"a missing level", "admit/v1/device/d1"},
		{"a missing id", "admit/v1/device//up"},
		{"two missing levels", "admit/v1/device"},
		{"an empty first level", "admit/v1//d1/up"},
		{"a doubled slash after the prefix", "admit/v1//device/d1/up"},
		{"a leading slash", "/admit/v1/device/d1/up"},
		{"version 2", "admit/v2/device/d1/up"},
		{"version 0", "admit/v0/venue/v1/feed"},
		{"another root", "other/v1/device/d1/up"},
		{"an upper-case root", "Admit/v1/device/d1/up"},
		{"a $SYS topic", "$SYS/broker/clients"},
		{"a venue with an uplink suffix", "admit/v1/venue/v1/up"},
		{"a venue with a downlink suffix", "admit/v1/venue/v1/down"},
		{"a device with a feed suffix", "admit/v1/device/d1/feed"},
		{"an unknown suffix", "admit/v1/device/d1/sideways"},
		{"an unknown first level", "admit/v1/tenant/t1/feed"},
		{"a plural first level", "admit/v1/devices/d1/up"},
		{"an upper-case suffix", "admit/v1/device/d1/UP"},
		{"an id over 64 characters", "admit/v1/device/" + long + "/up"},
		{"a venue code over 64 characters", "admit/v1/venue/" + long + "/feed"},
		{"an id with a space", "admit/v1/device/d 1/up"},
		{"an id with a dot", "admit/v1/device/d.1/up"},
		{"an id with a tab", "admit/v1/device/d\t1/up"},
		{"an id with a NUL", "admit/v1/device/d\x001/up"},
		{"an id with unicode", "admit/v1/device/gäte/up"},
		{"an id that is a unicode letter", "admit/v1/venue/é/feed"},
		{"an id with invalid UTF-8", "admit/v1/device/d\xff/up"},
		{"an id with a slash (from the builder)", UplinkTopic("a/b")},
		{"an id with a wildcard (from the builder)", DownlinkTopic("#")},
		{"an empty id (from the builder)", FeedTopic("")},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			kind, id := ParseTopic(tt.topic)
			if kind != TopicUnknown || id != "" {
				t.Errorf("ParseTopic(%q) = (%v, %q), want (TopicUnknown, \"\")", tt.topic, kind, id)
			}
		})
	}
}

func TestValidDeviceIDAcceptsOnlyShortWordCharacterStrings(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"a", true},
		{"Z9", true},
		{"gate-01_A", true},
		{"-", true},
		{"_", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"a/b", false},
		{"+", false},
		{"#", false},
		{"a b", false},
		{" a", false},
		{"a.b", false},
		{"a:b", false},
		{"$SYS", false},
		{"gäte", false},
		{"日本", false},
		{"\xff", false},
		{"a\x00", false},
		{"a\n", false},
	}
	for _, tt := range tests {
		if got := ValidDeviceID(tt.id); got != tt.want {
			t.Errorf("ValidDeviceID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestCheckIDReturnsAnErrorNamingTheFieldOnlyForInvalidIDs(t *testing.T) {
	tests := []struct {
		field, id string
		ok        bool
	}{
		{"device id", "gate-1", true},
		{"venue code", strings.Repeat("V", 64), true},
		{"device id", "", false},
		{"venue code", strings.Repeat("V", 65), false},
		{"device id", "a/b", false},
		{"device id", "+", false},
		{"venue code", "bad code", false},
		{"venue code", "café", false},
	}
	for _, tt := range tests {
		err := CheckID(tt.field, tt.id)
		if tt.ok {
			if err != nil {
				t.Errorf("CheckID(%q, %q) = %v, want nil", tt.field, tt.id, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("CheckID(%q, %q) = nil, want an error", tt.field, tt.id)
			continue
		}
		if !strings.Contains(err.Error(), tt.field) {
			t.Errorf("CheckID(%q, %q) = %q, want it to name the field", tt.field, tt.id, err)
		}
	}
}

func TestCheckIDAndParseTopicAgree(t *testing.T) {
	for _, id := range []string{"ok", "a b", "", strings.Repeat("q", 65), "x/y", "+", "é"} {
		kind, _ := ParseTopic(UplinkTopic(id))
		parsed := kind == TopicUplink
		if valid := CheckID("id", id) == nil; valid != parsed || valid != ValidDeviceID(id) {
			t.Errorf("id %q: CheckID ok=%v, ValidDeviceID=%v, ParseTopic ok=%v; want all equal", id, valid, ValidDeviceID(id), parsed)
		}
	}
}
