package sales

import (
	"context"
	"fmt"
	"sync"
)

// serialBlock is the store's reservation this process hands out from.
const serialBlock = 500

// serials reserves ticket serials per venue and business date in blocks,
// so a sale numbers its tickets without a store round trip and can sign
// them before it takes the writer. Serials stay unique (the store hands
// each block out once) and increase within a process; a block's unused
// rest is skipped when the process stops, leaving a gap in the numbers,
// never a duplicate.
type serials struct {
	mu     sync.Mutex
	blocks map[serialKey]*serialRange
}

type serialKey struct {
	venueID      int64
	businessDate string
}

type serialRange struct{ next, last uint32 }

func (s *Service) takeSerials(ctx context.Context, venueID int64, businessDate string, n int) (uint32, error) {
	s.serials.mu.Lock()
	defer s.serials.mu.Unlock()
	if s.serials.blocks == nil {
		s.serials.blocks = map[serialKey]*serialRange{}
	}
	k := serialKey{venueID, businessDate}
	r := s.serials.blocks[k]
	if r == nil || int64(r.last)-int64(r.next)+1 < int64(n) {
		size := max(n, serialBlock)
		var first uint32
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			first, err = tx.NextTicketSerial(ctx, venueID, businessDate, size)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("reserve ticket serials: %w", err)
		}
		r = &serialRange{next: first, last: first + uint32(size) - 1}
		s.serials.blocks[k] = r
	}
	first := r.next
	r.next += uint32(n)
	return first, nil
}
