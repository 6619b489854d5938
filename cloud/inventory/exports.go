package inventory

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Export is a daily or weekly inventory export as the server took it: its
// file is kept, with its digest, so that what was reported on a day stays
// what it was (seat categories have no history), and rebuilding it from
// the data shows whether anything before that moment changed since.
type Export struct {
	ID       int64     `json:"id"`
	TenantID int64     `json:"tenant_id"`
	VenueID  int64     `json:"venue_id"`
	Period   string    `json:"period"` // daily or weekly
	AsOf     time.Time `json:"as_of"`
	SHA256   string    `json:"sha256"`
	Bytes    int       `json:"bytes"`
	Seats    int       `json:"seats"`
	Sold     int       `json:"sold"`
	// Channels are the tickets valid as of the moment, by the channel that
	// sold them, as the sales system counts them.
	Channels map[string]int `json:"channels"`
	// Anomalies are the sessions where the inventory and the channels'
	// sales disagree.
	Anomalies []Anomaly `json:"anomalies"`
	TakenAt   time.Time `json:"taken_at"`
}

// Anomaly is a session whose sold seats in the inventory differ from the
// tickets its channels sold: a seat sold twice, a ticket for a seat the
// session does not have.
type Anomaly struct {
	SessionID int64  `json:"session_id"`
	Inventory int    `json:"inventory_sold"`
	Channels  int    `json:"channels_sold"`
	Message   string `json:"message"`
}

// Compare compares, per session, the seats the inventory counts sold with
// the tickets the channels sold (session id to channel to count), as of
// the same moment (§6.1.2(9): the inventory against the sales system's
// channel data, anomalies flagged).
func Compare(counts []Counts, channels map[int64]map[string]int) []Anomaly {
	out := []Anomaly{}
	for _, c := range counts {
		sold := 0
		for _, n := range channels[c.SessionID] {
			sold += n
		}
		if sold != c.Sold {
			out = append(out, Anomaly{SessionID: c.SessionID, Inventory: c.Sold, Channels: sold,
				Message: fmt.Sprintf("session %d: the inventory has %d seats sold; the channels sold %d tickets", c.SessionID, c.Sold, sold)})
		}
	}
	return out
}

// Digest is the hex SHA-256 of an export's file.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrExists is an export already taken for its venue, period and moment.
var ErrExists = errors.New("inventory: export already taken")

// Periods are the exports taken for every venue.
var Periods = []string{"daily", "weekly"}

// system reads every tenant's inventory for the scheduled exports.
var system = sales.Principal{Username: "system:inventory", Role: auth.RolePlatformAdmin}

// TakeExports takes, for every venue, the daily and weekly exports not yet
// taken for the last whole day and week, keeping each file and its
// comparison with the channels' sales. It returns how many it took.
func (s *Service) TakeExports(ctx context.Context) (int, error) {
	vs, err := s.sales.ListVenues(ctx, system)
	if err != nil {
		return 0, err
	}
	now := s.now()
	made := 0
	for _, v := range vs {
		loc, err := time.LoadLocation(v.Timezone)
		if err != nil {
			return made, fmt.Errorf("inventory: venue %d time zone: %w", v.ID, err)
		}
		for _, period := range Periods {
			asOf, _ := Period(period, now, loc)
			asOf = asOf.UTC()
			if ok, err := s.st.HasExport(ctx, v.ID, period, asOf); err != nil || ok {
				if err != nil {
					return made, err
				}
				continue
			}
			inv, err := s.Build(ctx, system, v.ID, asOf, "")
			if err != nil {
				return made, fmt.Errorf("inventory: export of venue %d: %w", v.ID, err)
			}
			e, body, err := s.export(ctx, v, period, inv)
			if err != nil {
				return made, err
			}
			packed, err := pack(body)
			if err != nil {
				return made, err
			}
			if _, err := s.st.InsertExport(ctx, e, packed); errors.Is(err, ErrExists) {
				continue // another replica took it
			} else if err != nil {
				return made, err
			}
			made++
		}
	}
	return made, nil
}

// export is inv as an export of period, compared with the channels.
func (s *Service) export(ctx context.Context, v sales.Venue, period string, inv Inventory) (Export, []byte, error) {
	body := inv.CSV()
	e := Export{TenantID: v.TenantID, VenueID: v.ID, Period: period, AsOf: inv.AsOf, SHA256: Digest(body), Bytes: len(body),
		Channels: map[string]int{}, TakenAt: s.now().UTC()}
	counts := make([]Counts, len(inv.Sessions))
	bySession := map[int64]map[string]int{}
	for i, sv := range inv.Sessions {
		counts[i] = sv.Counts
		e.Seats += sv.Seats
		e.Sold += sv.Sold
		ch, err := s.st.ChannelSales(ctx, sv.SessionID, inv.AsOf)
		if err != nil {
			return Export{}, nil, err
		}
		bySession[sv.SessionID] = ch
		for k, n := range ch {
			e.Channels[k] += n
		}
	}
	e.Anomalies = Compare(counts, bySession)
	return e, body, nil
}

// Exports lists a venue's exports taken, newest first.
func (s *Service) Exports(ctx context.Context, p sales.Principal, venueID int64) ([]Export, error) {
	if err := s.readable(ctx, p, venueID); err != nil {
		return nil, err
	}
	return s.st.Exports(ctx, venueID, 100)
}

// ExportFile is an export's file as it was taken.
func (s *Service) ExportFile(ctx context.Context, p sales.Principal, venueID, id int64) (Export, []byte, error) {
	if err := s.readable(ctx, p, venueID); err != nil {
		return Export{}, nil, err
	}
	e, packed, err := s.st.ExportFile(ctx, venueID, id)
	if errors.Is(err, ErrNotFound) {
		return e, nil, sales.NotFound("export " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return e, nil, err
	}
	body, err := unpack(packed)
	if err != nil {
		return e, nil, fmt.Errorf("inventory: export %d: %w", id, err)
	}
	if Digest(body) != e.SHA256 {
		return e, nil, fmt.Errorf("inventory: export %d does not match its SHA-256: the stored file is damaged", id)
	}
	return e, body, nil
}

// pack compresses an export's file for keeping: a CSV line per seat of a
// month of sessions compresses about tenfold.
func pack(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func unpack(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// ErrNotFound is the store's: no such export.
var ErrNotFound = errors.New("inventory: not found")

func (s *Service) readable(ctx context.Context, p sales.Principal, venueID int64) error {
	if !auth.Can(p.Role, auth.ReadSales) {
		return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "you may not read the inventory"}
	}
	_, err := s.sales.GetVenue(ctx, p, venueID)
	return err
}
