package sales

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/admitbox/admit/cloud/auth"
)

// Personal data (cloud-ticketing-requirements §6.2.1; event plan §6.1.1):
// a customer's name and phone number are shown masked to a role that may
// not read them (a clerk sees 张** and 138****5678), and every read of
// them unmasked is audited. With a master key they are stored sealed by the
// data key (cloud/secrets), with a blind index of the name so that an
// order is still found by its customer's whole name.

// MaskName keeps a name's first character.
func MaskName(n string) string {
	if n == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(n)
	return string(r) + strings.Repeat("*", max(1, utf8.RuneCountInString(n[size:])))
}

// MaskPhone keeps a phone number's first three and last four digits
// (its last two when shorter than eight).
func MaskPhone(p string) string {
	switch n := len(p); {
	case n == 0:
		return ""
	case n >= 8:
		return p[:3] + strings.Repeat("*", n-7) + p[n-4:]
	case n > 2:
		return strings.Repeat("*", n-2) + p[n-2:]
	default:
		return strings.Repeat("*", n)
	}
}

// showOrders hands orders to p: masked unless p may read personal data,
// in which case the read of each order holding any is audited.
func (s *Service) showOrders(ctx context.Context, p Principal, orders []Order) ([]Order, error) {
	unmasked := auth.Can(p.Role, auth.ReadPersonalData)
	for i := range orders {
		if err := s.openCustomer(&orders[i]); err != nil {
			return nil, err
		}
		if err := s.showHolders(&orders[i], unmasked); err != nil {
			return nil, err
		}
	}
	if !auth.Can(p.Role, auth.ReadPersonalData) {
		for i := range orders {
			orders[i].CustomerName, orders[i].CustomerPhone = MaskName(orders[i].CustomerName), MaskPhone(orders[i].CustomerPhone)
		}
		return orders, nil
	}
	var read []Order
	for _, o := range orders {
		if o.CustomerName != "" || o.CustomerPhone != "" || len(o.Holders) > 0 {
			read = append(read, o)
		}
	}
	if len(read) == 0 {
		return orders, nil
	}
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		for _, o := range read {
			rec(change{action: "personal_data.read", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID,
				reason: "the customer's name and phone shown unmasked"})
		}
		return nil
	})
	return orders, err
}

// showOrder is showOrders for one order.
func (s *Service) showOrder(ctx context.Context, p Principal, o Order) (Order, error) {
	out, err := s.showOrders(ctx, p, []Order{o})
	if err != nil {
		return Order{}, err
	}
	return out[0], nil
}

// maskFor masks an order a write hands back to its caller (who typed the
// data in): no audit.
func (s *Service) maskFor(p Principal, o Order) (Order, error) {
	if err := s.openCustomer(&o); err != nil {
		return Order{}, err
	}
	if err := s.showHolders(&o, auth.Can(p.Role, auth.ReadPersonalData)); err != nil {
		return Order{}, err
	}
	if !auth.Can(p.Role, auth.ReadPersonalData) {
		o.CustomerName, o.CustomerPhone = MaskName(o.CustomerName), MaskPhone(o.CustomerPhone)
	}
	return o, nil
}

// nameKey is the form of a name its blind index is taken of: spaces
// collapsed, case folded, so "Li  Lei" and "li lei" find each other.
func nameKey(n string) string { return strings.ToLower(strings.Join(strings.Fields(n), " ")) }

// sealCustomer seals the order's name and phone for storing, with the
// name's index; without a master key they stay as they are.
func (s *Service) sealCustomer(o *Order) {
	o.CustomerName, o.CustomerPhone, o.CustomerIndex = s.sealedCustomer(o.CustomerName, o.CustomerPhone)
}

func (s *Service) sealedCustomer(name, phone string) (string, string, string) {
	if s.box == nil {
		return name, phone, ""
	}
	var index string
	if name != "" {
		index = s.box.Index(nameKey(name))
		name = s.box.SealText(name)
	}
	if phone != "" {
		phone = s.box.SealText(phone)
	}
	return name, phone, index
}

// openCustomer opens what sealCustomer sealed (and leaves clear text be).
func (s *Service) openCustomer(o *Order) error {
	var err error
	if o.CustomerName, err = s.box.OpenText(o.CustomerName); err != nil {
		return fmt.Errorf("order %d: the customer's name: %w", o.ID, err)
	}
	if o.CustomerPhone, err = s.box.OpenText(o.CustomerPhone); err != nil {
		return fmt.Errorf("order %d: the customer's phone: %w", o.ID, err)
	}
	return nil
}
