package sales

import (
	"context"
	"fmt"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
)

// AuditLog returns audit entries the caller may read: its tenant (and, for
// venue roles, its venues).
func (s *Service) AuditLog(ctx context.Context, p Principal, f AuditFilter) ([]audit.Entry, error) {
	if err := authorize(p, auth.ReadAudit); err != nil {
		return nil, err
	}
	if p.Role != auth.RolePlatformAdmin {
		f.TenantID = p.TenantID
		f.VenueIDs = venueScope(p)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	var out []audit.Entry
	err := s.store.AuditLog(ctx, f, func(e audit.Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// AuditReport is the result of verifying the whole chain.
type AuditReport struct {
	OK      bool         `json:"ok"`
	Entries int64        `json:"entries"`
	Break   *audit.Break `json:"break,omitempty"`
}

// VerifyAudit walks the whole chain in storage order and reports the first
// entry that was altered, removed or reordered.
func VerifyAudit(ctx context.Context, r Reader) (AuditReport, error) {
	v := audit.NewVerifier()
	err := r.AuditLog(ctx, AuditFilter{}, func(e audit.Entry) error { return v.Check(e) })
	if err == nil {
		seq, hash, herr := r.AuditHead(ctx)
		if herr != nil {
			return AuditReport{}, fmt.Errorf("read audit head: %w", herr)
		}
		err = v.Finish(seq, hash)
	}
	if b, ok := err.(*audit.Break); ok {
		return AuditReport{OK: false, Entries: v.Count(), Break: b}, nil
	}
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	return AuditReport{OK: true, Entries: v.Count()}, nil
}

// VerifyAudit lets an auditor check the chain from the portal or API.
func (s *Service) VerifyAudit(ctx context.Context, p Principal) (AuditReport, error) {
	if err := authorize(p, auth.ReadAudit); err != nil {
		return AuditReport{}, err
	}
	return VerifyAudit(ctx, s.store)
}
