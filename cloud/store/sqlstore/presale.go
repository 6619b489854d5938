package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/lottery"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
)

// Presales is the presale lottery's tables in this store.
func (s *Store) Presales() presale.Store { return presaleStore{s} }

type presaleStore struct{ s *Store }

const presaleCols = `id, tenant_id, venue_id, session_id, tier_id, name, tickets, per_person, price_cents, named, opens_at, closes_at,
  commitment, state, list_hash, seed, result, created_at, seed_sealed, notified, choice_until, channels`

func scanPresale(sc interface{ Scan(...any) error }) (presale.Presale, string, error) {
	var p presale.Presale
	var named int
	var opens, closes, created int64
	var result, sealed string
	var notified int
	var choice int64
	var channels string
	err := sc.Scan(&p.ID, &p.TenantID, &p.VenueID, &p.SessionID, &p.TierID, &p.Name, &p.Tickets, &p.PerPerson, &p.PriceCents, &named,
		&opens, &closes, &p.Commitment, &p.State, &p.ListHash, &p.Seed, &result, &created, &sealed, &notified, &choice, &channels)
	p.Channels = strings.Split(channels, ",")
	p.Notified = notified != 0
	if choice != 0 {
		until := fromMS(choice)
		p.ChoiceUntil = &until
	}
	if err != nil {
		return p, "", err
	}
	p.Named, p.OpensAt, p.ClosesAt, p.CreatedAt = named != 0, fromMS(opens), fromMS(closes), fromMS(created)
	if result != "" {
		var r lottery.PoolResult
		if err := json.Unmarshal([]byte(result), &r); err != nil {
			return p, "", err
		}
		p.Result = &r
	}
	return p, sealed, nil
}

func (r presaleStore) InsertPresale(ctx context.Context, p presale.Presale, sealedSeed string, e audit.Entry) (presale.Presale, error) {
	named := 0
	if p.Named {
		named = 1
	}
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := t.q.QueryRowContext(ctx, `INSERT INTO presales (tenant_id, venue_id, session_id, tier_id, name, tickets, per_person, price_cents, named,
  opens_at, closes_at, commitment, state, list_hash, seed, result, created_at, seed_sealed, choice_until, channels) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'','','',?,?,?,?) RETURNING id`,
			p.TenantID, p.VenueID, p.SessionID, p.TierID, p.Name, p.Tickets, p.PerPerson, p.PriceCents, named,
			ms(p.OpensAt), ms(p.ClosesAt), p.Commitment, p.State, ms(p.CreatedAt), sealedSeed, choiceMS(p.ChoiceUntil), strings.Join(p.Channels, ",")).Scan(&p.ID); err != nil {
			return wrap(err, "create a presale")
		}
		e.Object = "presale:" + strconv.FormatInt(p.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return p, err
}

func choiceMS(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return ms(*t)
}

func (r presaleStore) GetPresale(ctx context.Context, id int64) (presale.Presale, string, error) {
	p, sealed, err := scanPresale(r.s.q.QueryRowContext(ctx, `SELECT `+presaleCols+` FROM presales WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, "", presale.ErrNotFound
	}
	return p, sealed, wrap(err, "read a presale")
}

func (r presaleStore) list(ctx context.Context, where string, arg any) ([]presale.Presale, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+presaleCols+` FROM presales WHERE `+where+` ORDER BY id`, arg)
	if err != nil {
		return nil, wrap(err, "list presales")
	}
	defer rows.Close()
	var out []presale.Presale
	for rows.Next() {
		p, _, err := scanPresale(rows)
		if err != nil {
			return nil, wrap(err, "list presales")
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err(), "list presales")
}

func (r presaleStore) ListPresales(ctx context.Context, tenantID int64) ([]presale.Presale, error) {
	if tenantID == 0 {
		return r.list(ctx, `tenant_id >= ?`, 0)
	}
	return r.list(ctx, `tenant_id = ?`, tenantID)
}

func (r presaleStore) ToNotify(ctx context.Context) ([]presale.Presale, error) {
	return r.list(ctx, `notified = 0 AND state IN ('drawn', 'settled') AND id > ?`, 0)
}

func (r presaleStore) SetNotified(ctx context.Context, id int64) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `UPDATE presales SET notified = 1 WHERE id = ?`, id)
		return wrap(err, "mark a presale notified")
	})
}

func (r presaleStore) PresalesIn(ctx context.Context, st presale.State) ([]presale.Presale, error) {
	return r.list(ctx, `state = ?`, st)
}

const appCols = `id, presale_id, ref, person_key, doc_masked, name, quantity, holders, payment_key, auth_ref, state, in_draw, draw_rank, reason, created_at, updated_at, order_id, phone, lang`

func scanApplication(sc interface{ Scan(...any) error }) (presale.Application, error) {
	var a presale.Application
	var holders string
	var inDraw int
	var created, updated int64
	if err := sc.Scan(&a.ID, &a.PresaleID, &a.Ref, &a.PersonKey, &a.DocMasked, &a.Name, &a.Quantity, &holders, &a.PaymentKey, &a.AuthRef,
		&a.State, &inDraw, &a.Rank, &a.Reason, &created, &updated, &a.OrderID, &a.Phone, &a.Lang); err != nil {
		return a, err
	}
	a.InDraw, a.CreatedAt, a.UpdatedAt = inDraw != 0, fromMS(created), fromMS(updated)
	var hs []storedHolder
	if err := json.Unmarshal([]byte(holders), &hs); err != nil {
		return a, err
	}
	for _, h := range hs {
		a.Holders = append(a.Holders, presale.Holder(h))
	}
	return a, nil
}

// storedHolder is a holder as the table keeps it: with its key, which the
// domain type leaves out of JSON.
type storedHolder struct {
	DocType   string `json:"doc_type"`
	DocMasked string `json:"doc_masked"`
	IDKey     string `json:"id_key"`
	GateTag   string `json:"gate_tag,omitempty"`
}

func (r presaleStore) InsertApplication(ctx context.Context, a presale.Application) (presale.Application, error) {
	hs := make([]storedHolder, len(a.Holders))
	for i, h := range a.Holders {
		hs[i] = storedHolder(h)
	}
	holders, err := json.Marshal(hs)
	if err != nil {
		return a, err
	}
	err = r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		err := t.q.QueryRowContext(ctx, `INSERT INTO presale_applications (presale_id, ref, person_key, doc_masked, name, quantity, holders, payment_key,
  auth_ref, state, in_draw, draw_rank, reason, created_at, updated_at, order_id, phone, lang) VALUES (?,?,?,?,?,?,?,?,'',?,0,0,'',?,?,0,?,?) RETURNING id`,
			a.PresaleID, a.Ref, a.PersonKey, a.DocMasked, a.Name, a.Quantity, string(holders), a.PaymentKey, a.State,
			ms(a.CreatedAt), ms(a.UpdatedAt), a.Phone, a.Lang).Scan(&a.ID)
		if err != nil && t.d.Unique(err) {
			return presale.ErrDuplicate
		}
		return wrap(err, "record an application")
	})
	return a, err
}

func (r presaleStore) ApplicationByPerson(ctx context.Context, presaleID int64, personKey string) (presale.Application, error) {
	a, err := scanApplication(r.s.q.QueryRowContext(ctx, `SELECT `+appCols+` FROM presale_applications WHERE presale_id = ? AND person_key = ?`, presaleID, personKey))
	if errors.Is(err, sql.ErrNoRows) {
		return a, presale.ErrNotFound
	}
	return a, wrap(err, "read an application")
}

func (r presaleStore) Applications(ctx context.Context, presaleID int64) ([]presale.Application, error) {
	return applications(ctx, r.s.q, presaleID)
}

func applications(ctx context.Context, q querier, presaleID int64) ([]presale.Application, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+appCols+` FROM presale_applications WHERE presale_id = ? ORDER BY id`, presaleID)
	if err != nil {
		return nil, wrap(err, "list applications")
	}
	defer rows.Close()
	var out []presale.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, wrap(err, "list applications")
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "list applications")
}

func moveApplication(ctx context.Context, q querier, a presale.Application, from presale.AppState) error {
	res, err := q.ExecContext(ctx, `UPDATE presale_applications SET state = ?, auth_ref = ?, draw_rank = ?, reason = ?, updated_at = ?, order_id = ? WHERE id = ? AND state = ?`,
		a.State, a.AuthRef, a.Rank, a.Reason, ms(a.UpdatedAt), a.OrderID, a.ID, from)
	if err != nil {
		return wrap(err, "move an application")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return presale.ErrChanged
	}
	return nil
}

func (r presaleStore) MoveApplication(ctx context.Context, a presale.Application, from presale.AppState) error {
	return r.s.Update(ctx, func(tx sales.Tx) error { return moveApplication(ctx, tx.(*txn).q, a, from) })
}

func (r presaleStore) DeleteApplication(ctx context.Context, id int64, from presale.AppState) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		res, err := tx.(*txn).q.ExecContext(ctx, `DELETE FROM presale_applications WHERE id = ? AND state = ?`, id, from)
		if err != nil {
			return wrap(err, "delete an application")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return presale.ErrChanged
		}
		return nil
	})
}

func setPresaleState(ctx context.Context, q querier, id int64, from, to presale.State) error {
	res, err := q.ExecContext(ctx, `UPDATE presales SET state = ? WHERE id = ? AND state = ?`, to, id, from)
	if err != nil {
		return wrap(err, "move a presale")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return presale.ErrChanged
	}
	return nil
}

func (r presaleStore) SetState(ctx context.Context, id int64, from, to presale.State) error {
	return r.s.Update(ctx, func(tx sales.Tx) error { return setPresaleState(ctx, tx.(*txn).q, id, from, to) })
}

func (r presaleStore) Lock(ctx context.Context, id int64, hash func([]presale.Application) string, e audit.Entry) (presale.Presale, error) {
	var out presale.Presale
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := setPresaleState(ctx, t.q, id, presale.Open, presale.Locked); err != nil {
			return err
		}
		if _, err := t.q.ExecContext(ctx, `UPDATE presale_applications SET in_draw = 1 WHERE presale_id = ? AND state = ?`, id, presale.Applied); err != nil {
			return wrap(err, "lock the applications")
		}
		if _, err := t.q.ExecContext(ctx, `UPDATE presale_applications SET state = ?, reason = ?, updated_at = ? WHERE presale_id = ? AND state = ?`,
			presale.Lapsed, "the card was not authorised before the presale locked", ms(e.At), id, presale.Pending); err != nil {
			return wrap(err, "lapse the pending applications")
		}
		apps, err := applications(ctx, t.q, id)
		if err != nil {
			return err
		}
		h := hash(apps)
		if _, err := t.q.ExecContext(ctx, `UPDATE presales SET list_hash = ? WHERE id = ?`, h, id); err != nil {
			return wrap(err, "record the list hash")
		}
		in := 0
		for _, a := range apps {
			if a.InDraw {
				in++
			}
		}
		e.Object = "presale:" + strconv.FormatInt(id, 10)
		e.After, _ = json.Marshal(map[string]any{"list_hash": h, "applications": in, "lapsed": len(apps) - in})
		if err := t.AppendAudit(ctx, e); err != nil {
			return err
		}
		out, _, err = scanPresale(t.q.QueryRowContext(ctx, `SELECT `+presaleCols+` FROM presales WHERE id = ?`, id))
		return wrap(err, "read a presale")
	})
	return out, err
}

func (r presaleStore) RecordDraw(ctx context.Context, p presale.Presale, apps []presale.Application, e audit.Entry) error {
	result, err := json.Marshal(p.Result)
	if err != nil {
		return err
	}
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := setPresaleState(ctx, t.q, p.ID, presale.Locked, presale.Drawn); err != nil {
			return err
		}
		if _, err := t.q.ExecContext(ctx, `UPDATE presales SET seed = ?, result = ? WHERE id = ?`, p.Seed, string(result), p.ID); err != nil {
			return wrap(err, "record the draw")
		}
		for _, a := range apps {
			if err := moveApplication(ctx, t.q, a, presale.Applied); err != nil {
				return err
			}
		}
		e.Object = "presale:" + strconv.FormatInt(p.ID, 10)
		return t.AppendAudit(ctx, e)
	})
}
