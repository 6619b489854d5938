package broker

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"

	admitsync "github.com/admitbox/admit/sync"
)

// An external broker (Mosquitto) needs what the embedded one decides in
// code: who may log in, and the topics each may use. MosquittoFiles
// writes both as Mosquitto's password file and ACL file: the cloud's
// account may use every topic; each device may publish its uplink and
// read its venue's feed and its own downlink, exactly the scope the
// embedded broker enforces (scope.OnACLCheck).

// Account is a broker login: a device's, or the cloud's (Venue empty).
type Account struct {
	User, Password string
	Venue          string // the device's venue code
}

// mosquittoIterations is mosquitto_passwd's PBKDF2 default.
const mosquittoIterations = 101

// MosquittoFiles returns the password file and the ACL file for the
// cloud's account and the devices'.
func MosquittoFiles(cloud Account, devices []Account) (passwd, acl []byte, err error) {
	var pw, ac bytes.Buffer
	ac.WriteString("# Admit: the cloud uses every topic; each device its uplink, its venue's feed, its downlink.\n")
	ac.WriteString("# Written by admit-cloud broker-config; write it again after enrolling or revoking devices.\n\n")
	if err := checkUser(cloud.User); err != nil {
		return nil, nil, fmt.Errorf("broker: cloud account: %w", err)
	}
	line, err := mosquittoPasswd(cloud.User, cloud.Password)
	if err != nil {
		return nil, nil, err
	}
	pw.WriteString(line)
	fmt.Fprintf(&ac, "user %s\ntopic readwrite #\n", cloud.User)
	for _, d := range devices {
		if !admitsync.ValidDeviceID(d.User) || admitsync.CheckID("venue", d.Venue) != nil {
			return nil, nil, fmt.Errorf("broker: device %q of venue %q cannot be written into the files", d.User, d.Venue)
		}
		line, err := mosquittoPasswd(d.User, d.Password)
		if err != nil {
			return nil, nil, err
		}
		pw.WriteString(line)
		fmt.Fprintf(&ac, "\nuser %s\ntopic write %s\ntopic read %s\ntopic read %s\n", d.User,
			admitsync.UplinkTopic(d.User), admitsync.FeedTopic(d.Venue), admitsync.DownlinkTopic(d.User))
	}
	return pw.Bytes(), ac.Bytes(), nil
}

// mosquittoPasswd is one password file line in Mosquitto 2's format:
// PBKDF2-HMAC-SHA512 over a 12-byte salt, "$7$iterations$salt$hash".
func mosquittoPasswd(user, password string) (string, error) {
	if password == "" || strings.ContainsAny(password, "\x00\r\n") {
		return "", fmt.Errorf("broker: the password of %s cannot go into a password file", user)
	}
	salt := make([]byte, 12)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hash, err := pbkdf2.Key(sha512.New, password, salt, mosquittoIterations, sha512.Size)
	if err != nil {
		return "", fmt.Errorf("broker: hash the password of %s: %w", user, err)
	}
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s:$7$%d$%s$%s\n", user, mosquittoIterations, b64(salt), b64(hash)), nil
}

func checkUser(u string) error {
	if u == "" || strings.ContainsAny(u, ": \t\r\n\x00") {
		return fmt.Errorf("user %q cannot go into a password file", u)
	}
	return nil
}
