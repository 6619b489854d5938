package sync

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Prefix is the version root of every topic.
const Prefix = "admit/v1/"

// SharedUplinks is the cloud's subscription to every device's uplink,
// shared among the replicas of one installation: group names the
// installation, so replicas of another one (or a test run) never take a
// share of its devices' messages.
func SharedUplinks(group string) string { return "$share/" + group + "/" + Prefix + "device/+/up" }

// AllUplinks is the same without sharing (a single cloud process).
const AllUplinks = Prefix + "device/+/up"

// FeedTopic is a venue's feed.
func FeedTopic(venueCode string) string { return Prefix + "venue/" + venueCode + "/feed" }

// UplinkTopic is a device's uplink.
func UplinkTopic(deviceID string) string { return Prefix + "device/" + deviceID + "/up" }

// DownlinkTopic is a device's downlink.
func DownlinkTopic(deviceID string) string { return Prefix + "device/" + deviceID + "/down" }

// TopicKind names what a topic is.
type TopicKind int

const (
	TopicUnknown TopicKind = iota
	TopicFeed
	TopicUplink
	TopicDownlink
)

// ParseTopic splits a concrete topic into its kind and its venue code or
// device id. Wildcards and anything outside admit/v1 are TopicUnknown.
func ParseTopic(topic string) (TopicKind, string) {
	rest, ok := strings.CutPrefix(topic, Prefix)
	if !ok {
		return TopicUnknown, ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || !validID(parts[1]) {
		return TopicUnknown, ""
	}
	switch {
	case parts[0] == "venue" && parts[2] == "feed":
		return TopicFeed, parts[1]
	case parts[0] == "device" && parts[2] == "up":
		return TopicUplink, parts[1]
	case parts[0] == "device" && parts[2] == "down":
		return TopicDownlink, parts[1]
	}
	return TopicUnknown, ""
}

// validID: venue codes and device ids are short [A-Za-z0-9_-] strings, so
// they never carry MQTT wildcards or separators.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidDeviceID reports whether s can name a device in a topic.
func ValidDeviceID(s string) bool { return validID(s) }

// CheckID returns an error naming the field when s cannot be used in a topic.
func CheckID(field, s string) error {
	if !validID(s) {
		return fmt.Errorf("sync: %s %q must be 1-64 characters of A-Z a-z 0-9 - _", field, s)
	}
	return nil
}

// DevicePassword is the text a device logs in to a broker with: its
// secret in unpadded base64url. The raw secret, which older agents send,
// may hold a NUL byte and then fits no broker's password file.
func DevicePassword(secret []byte) string { return base64.RawURLEncoding.EncodeToString(secret) }
