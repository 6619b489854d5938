package sales

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/admitbox/admit/cloud/secrets"
)

// Secrets at rest (cloud/secrets): with a master key configured, the
// tenants' ticket signing keys, the devices' secrets and the
// installation's secrets (token, sync key, broker credentials) are stored
// sealed by a data key that the master key wraps. Without it they are
// stored as they are, and a store whose secrets are sealed cannot be used:
// a copy of the database alone signs no ticket.

// customersSealedSetting says the orders stored before the master key
// was set have had their customers sealed.
const customersSealedSetting = "secrets.customers_sealed"

// dataKeySetting holds the data key, sealed by the master key.
const dataKeySetting = "secrets.data_key"

// openSecrets loads (or, the first time, makes) the data key and seals
// whatever was stored before a master key was configured.
func (s *Service) openSecrets(ctx context.Context) error {
	if s.cfg.MasterKey == nil {
		return nil
	}
	kek, err := secrets.NewBox(s.cfg.MasterKey)
	if err != nil {
		return err
	}
	v, ok, err := s.store.Setting(ctx, dataKeySetting)
	if err != nil {
		return err
	}
	if !ok {
		fresh := kek.SealText(base64.StdEncoding.EncodeToString(secrets.NewKey()))
		err := s.store.Update(ctx, func(tx Tx) error {
			cur, ok, err := tx.Setting(ctx, dataKeySetting)
			if err != nil {
				return err
			}
			if ok { // another process made it first
				v = cur
				return nil
			}
			v = fresh
			return tx.PutSetting(ctx, dataKeySetting, v)
		})
		if err != nil {
			return fmt.Errorf("store the data key: %w", err)
		}
	}
	text, err := kek.OpenText(v)
	if err != nil {
		return fmt.Errorf("the master key does not open this store's data key: %w", err)
	}
	dek, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return errors.New("the store's data key is damaged")
	}
	if s.box, err = secrets.NewBox(dek); err != nil {
		return err
	}
	return s.sealStored(ctx)
}

// sealStored seals, in one transaction, the secrets stored in clear.
func (s *Service) sealStored(ctx context.Context) error {
	return s.store.Update(ctx, func(tx Tx) error {
		var names []string
		for _, prefix := range []string{"token_secret", "sync_key_seed", "secret:"} {
			ks, err := tx.SettingKeys(ctx, prefix)
			if err != nil {
				return err
			}
			names = append(names, ks...)
		}
		for _, k := range names {
			v, _, err := tx.Setting(ctx, k)
			if err != nil {
				return err
			}
			if !secrets.Sealed([]byte(v)) {
				if err := tx.PutSetting(ctx, k, s.box.SealText(v)); err != nil {
					return err
				}
			}
		}
		tenants, err := tx.ListTenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range tenants {
			keys, err := tx.SigningKeys(ctx, t.ID)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if len(k.Private) > 0 && !secrets.Sealed(k.Private) {
					if err := tx.SetSigningKeyPrivate(ctx, k.ID, s.box.Seal(k.Private)); err != nil {
						return err
					}
				}
			}
		}
		// Customers' names and phones stored before the key was set: once.
		// With the key set every new order is sealed, and a sealed store
		// does not open without the key, so none in clear can come after.
		_, done, err := tx.Setting(ctx, customersSealedSetting)
		if err != nil {
			return err
		}
		if !done {
			if _, err := tx.SealCustomers(ctx, secrets.Prefix(), s.sealedCustomer); err != nil {
				return err
			}
			if err := tx.PutSetting(ctx, customersSealedSetting, "1"); err != nil {
				return err
			}
		}
		devices, err := tx.ListDevices(ctx, -1, nil)
		if err != nil {
			return err
		}
		for _, d := range devices {
			_, secret, err := tx.DeviceSecret(ctx, d.ID)
			if err != nil {
				return err
			}
			if len(secret) > 0 && !secrets.Sealed(secret) {
				if err := tx.SetDeviceSecret(ctx, d.ID, s.box.Seal(secret)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// seal and open a stored secret: as it is without a master key.
func (s *Service) seal(v []byte) []byte {
	if s.box == nil {
		return v
	}
	return s.box.Seal(v)
}

func (s *Service) open(v []byte) ([]byte, error) { return s.box.Open(v) }

// SealText seals personal data (also other domains': names on presale
// applications) with the data key; without a master key it stays as is.
func (s *Service) SealText(v string) string {
	if s.box == nil {
		return v
	}
	return s.box.SealText(v)
}

// OpenText opens what SealText sealed (and leaves clear text be).
func (s *Service) OpenText(v string) (string, error) { return s.box.OpenText(v) }

// RewrapDataKey wraps the store's data key in a new master key (run from
// the server's shell: admit-cloud secrets rotate). Every process must then
// start with the new key; the secrets themselves are not touched.
func (s *Service) RewrapDataKey(ctx context.Context, newKey []byte) error {
	if s.box == nil {
		return errors.New("no master key is configured: there is no data key to rewrap")
	}
	kek, err := secrets.NewBox(s.cfg.MasterKey)
	if err != nil {
		return err
	}
	next, err := secrets.NewBox(newKey)
	if err != nil {
		return err
	}
	return s.update(ctx, Principal{Role: "platform_admin"}, func(tx Tx, rec func(change)) error {
		v, ok, err := tx.Setting(ctx, dataKeySetting)
		if err != nil || !ok {
			return fmt.Errorf("read the data key: %v", err)
		}
		text, err := kek.OpenText(v)
		if err != nil {
			return fmt.Errorf("the current master key does not open the data key: %w", err)
		}
		if err := tx.PutSetting(ctx, dataKeySetting, next.SealText(text)); err != nil {
			return err
		}
		rec(change{action: "secrets.rotate_master_key", object: "setting:" + dataKeySetting, actor: "shell", reason: "master key rotated"})
		return nil
	})
}

// Secret is the installation's named secret (64 hex digits), made on first
// use and sealed with the others; other domains key their hashes and
// tokens with it (accounts: phone hashes, account tokens).
func (s *Service) Secret(ctx context.Context, name string) ([]byte, error) {
	v, err := s.randomSetting(ctx, "secret:"+name)
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}
