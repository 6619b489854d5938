package server

import (
	"context"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/syncer"
	admitsync "github.com/admitbox/admit/sync"
)

// syncAdapter gives the syncer the service in the syncer's own terms.
type syncAdapter struct{ svc *sales.Service }

func (a syncAdapter) FeedHeads(ctx context.Context) ([]syncer.VenueHead, error) {
	hs, err := a.svc.FeedHeads(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]syncer.VenueHead, len(hs))
	for i, h := range hs {
		out[i] = syncer.VenueHead{VenueID: h.VenueID, Code: h.Code, Seq: h.Seq}
	}
	return out, nil
}

func (a syncAdapter) FeedSince(ctx context.Context, venueID int64, after uint64, limit int) ([]admitsync.FeedEvent, error) {
	return a.svc.FeedSince(ctx, venueID, after, limit)
}

func (a syncAdapter) Snapshot(ctx context.Context, venueID int64) (uint64, []admitsync.FeedEvent, error) {
	return a.svc.Snapshot(ctx, venueID)
}

func (a syncAdapter) DeviceInfo(ctx context.Context, id string) (syncer.DeviceInfo, error) {
	d, secret, err := a.svc.DeviceSecret(ctx, id)
	if err != nil {
		return syncer.DeviceInfo{}, err
	}
	return syncer.DeviceInfo{ID: d.ID, VenueID: d.VenueID, VenueCode: d.VenueCode, Secret: secret}, nil
}

func (a syncAdapter) IngestFacts(ctx context.Context, id string, facts []admitsync.Fact) (uint64, error) {
	return a.svc.IngestFacts(ctx, id, facts)
}
