package platformsim

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/admitbox/admit/cloud/report/wire"
)

// The platform reviews 补登 applications (§9.2.7–9.2.8) and pushes each
// result to the system that applied: 审核后，国家数据平台调用软件商云售票系统接口，推送审核结果.

// Applications lists the 补登 applications received, oldest first.
func (s *Sim) Applications() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, r := range s.order {
		if r.Interface == wire.SaleMakeup || r.Interface == wire.RefundMakeup {
			out = append(out, *r)
		}
	}
	return out
}

func (s *Sim) listApplications(*http.Request) (any, int, error) {
	out := s.Applications()
	if out == nil {
		out = []Record{}
	}
	return out, http.StatusOK, nil
}

// ReviewRequest is a reviewer's decision on an application.
type ReviewRequest struct {
	System  string `json:"system_code"`
	Serial  string `json:"serial"` // the application's
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

func (s *Sim) reviewAPI(r *http.Request) (any, int, error) {
	var in ReviewRequest
	if err := decodeStrict(r, &in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	rec, err := s.Review(r.Context(), in)
	if err != nil {
		return nil, statusOf(err), err
	}
	return rec, http.StatusOK, nil
}

// reviewForm is the page's review buttons: the form carries the admin token.
func (s *Sim) reviewForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.cfg.AdminToken)) != 1 {
		http.Error(w, "reviewing needs the admin token", http.StatusUnauthorized)
		return
	}
	in := ReviewRequest{System: r.PostForm.Get("system_code"), Serial: r.PostForm.Get("serial"), Approve: r.PostForm.Get("decision") == "approve",
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	if _, err := s.Review(r.Context(), in); err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	http.Redirect(w, r, "/?reviewed="+url.QueryEscape(in.Serial), http.StatusSeeOther)
}

// Review decides an application and calls the system's review interface
// with the result; the decision stands once the system took it. The same
// decision again is sent again (the system says it had it).
func (s *Sim) Review(ctx context.Context, in ReviewRequest) (Record, error) {
	if !in.Approve && in.Reason == "" {
		return Record{}, fmt.Errorf("%w: a rejection gives its reason", errBadRequest)
	}
	decision := "rejected"
	if in.Approve {
		decision = "approved"
	}
	s.mu.Lock()
	rec := s.received[in.System+"/"+in.Serial]
	var cinema string
	if rec != nil {
		cinema = rec.Cinema
	}
	var done string
	if rec != nil {
		done = rec.Review
	}
	s.mu.Unlock()
	switch {
	case rec == nil || !slices.Contains([]wire.Interface{wire.SaleMakeup, wire.RefundMakeup}, rec.Interface):
		return Record{}, fmt.Errorf("%w: no application %s of system %s", errNotFound, in.Serial, in.System)
	case done != "" && done != decision:
		return Record{}, fmt.Errorf("%w: application %s was %s already", errConflict, in.Serial, done)
	}
	now := s.now().UTC()
	a, err := s.call(ctx, in.System, wire.MakeupReview, wire.ReviewResult{Application: in.Serial, Cinema: cinema, Approved: in.Approve,
		Reason: in.Reason, ReviewedAt: now})
	if err != nil {
		return Record{}, err
	}
	if !a.OK {
		return Record{}, fmt.Errorf("%w: the system refused the review: %s: %s", errConflict, a.Code, a.Reason)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Review == "" {
		rec.Review, rec.ReviewReason, rec.ReviewedAt = decision, in.Reason, &now
		s.appendLog(logLine{Review: &savedView{Key: in.System + "/" + in.Serial, Review: decision, Reason: in.Reason, At: now}})
		s.bump()
	}
	s.log.Info("reviewed a 补登 application", "system", in.System, "serial", in.Serial, "review", decision)
	return *rec, nil
}
