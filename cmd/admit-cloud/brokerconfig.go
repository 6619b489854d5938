package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/admitbox/admit/cloud/broker"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
)

// runBrokerConfig writes Mosquitto's password and ACL files for the
// cloud's account (mqtt_user, mqtt_password) and every active device.
func runBrokerConfig(ctx context.Context, cfg server.Config, dir string, stdout io.Writer) error {
	if dir == "" {
		return errors.New("admit-cloud broker-config: -out DIR is required")
	}
	if cfg.MQTTUser == "" || cfg.MQTTPassword == "" {
		return errors.New("admit-cloud broker-config: the cloud's broker account is mqtt_user and mqtt_password in the config")
	}
	return withService(ctx, cfg, func(svc *sales.Service) error {
		logins, err := svc.BrokerLogins(ctx)
		if err != nil {
			return err
		}
		devices := make([]broker.Account, len(logins))
		for i, l := range logins {
			devices[i] = broker.Account{User: l.DeviceID, Password: l.Password, Venue: l.VenueCode}
		}
		passwd, acl, err := broker.MosquittoFiles(broker.Account{User: cfg.MQTTUser, Password: cfg.MQTTPassword}, devices)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			data []byte
			mode os.FileMode
		}{{"passwd", passwd, 0o640}, {"acl", acl, 0o644}} {
			if err := writeAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "%s/passwd and %s/acl: the cloud (%s) and %d devices; reload Mosquitto (kill -HUP) to apply\n", dir, dir, cfg.MQTTUser, len(devices))
		return nil
	})
}

// writeAtomic replaces path with data: a broker reloading meanwhile reads
// the old file or the new one, never half of one.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
