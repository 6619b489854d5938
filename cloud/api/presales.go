package api

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/lottery"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
)

// presaleRoutes serve presales by lottery: admins create, lock and draw
// them; anyone applies, follows them and downloads the files that prove
// a draw (`admit lottery verify` re-runs it from them).
func (a *API) presaleRoutes() []route {
	with := func(fn func(*gin.Context, *presale.Service, sales.Principal, int64) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Presales == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server runs no presales"}
			}
			var pid int64
			if c.Param("id") != "" {
				var err error
				if pid, err = id(c, "id"); err != nil {
					return nil, err
				}
			}
			return fn(c, a.opts.Presales, p, pid)
		}
	}
	file := func(name string, write func(*bytes.Buffer, presale.Published) error) handler {
		return with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
			pub, err := s.Publish(c.Request.Context(), pid)
			if err != nil {
				return nil, err
			}
			var b bytes.Buffer
			if err := write(&b, pub); err != nil {
				return nil, err
			}
			c.Header("Content-Disposition", `attachment; filename="presale-`+c.Param("id")+"-"+name+`"`)
			c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
			return nil, nil
		})
	}
	return []route{
		{method: "GET", path: "/presales", summary: "The tenant's presales", tag: "presales", resp: []presale.Presale{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, _ int64) (any, error) {
				return s.List(c.Request.Context(), p)
			})},
		{method: "POST", path: "/presales", summary: "Create a presale of a session's price level; the answer carries the commitment to the draw's seed", tag: "presales",
			body: presale.NewPresale{}, resp: presale.Presale{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, _ int64) (any, error) {
				var in presale.NewPresale
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Create(c.Request.Context(), p, in)
			})},
		{method: "GET", path: "/presales/:id", summary: "A presale as the public sees it: terms, commitment, counts; seed and winners once drawn", tag: "presales", public: true,
			resp: presale.Presale{},
			h: with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
				return s.Get(c.Request.Context(), pid)
			})},
		{method: "POST", path: "/presales/:id/applications", summary: "Apply: identity checked, card authorised; one application per person", tag: "presales", public: true,
			body: presale.ApplyRequest{}, resp: presale.Application{},
			h: with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
				var in presale.ApplyRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Apply(c.Request.Context(), pid, in)
			})},
		{method: "GET", path: "/presales/:id/choice/:ref", summary: "A winner's seat choice, opened by the token texted to them: the level's seats, how many to pick, until when", tag: "presales", public: true,
			resp: presale.Choice{},
			h: with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
				return s.ChoiceView(c.Request.Context(), pid, c.Param("ref"), c.Query("token"))
			})},
		{method: "POST", path: "/presales/:id/choice/:ref", summary: "A winner picks their seats (all at once) while the choice is open; the tickets are issued", tag: "presales", public: true,
			body: choiceRequest{}, resp: presale.Choice{},
			h: with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
				var in choiceRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Choose(c.Request.Context(), pid, c.Param("ref"), in.Token, in.SeatIDs)
			})},
		{method: "GET", path: "/presales/:id/applications", summary: "A presale's applications, names masked (its managers)", tag: "presales", resp: []presale.Application{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, pid int64) (any, error) {
				return s.Applications(c.Request.Context(), p, pid)
			})},
		{method: "POST", path: "/presales/:id/lock", summary: "Lock a closed presale's list for the draw", tag: "presales", resp: presale.Presale{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, pid int64) (any, error) {
				return s.Lock(c.Request.Context(), p, pid)
			})},
		{method: "POST", path: "/presales/:id/draw", summary: "Draw a locked presale and publish its seed; winners are captured and the rest voided in the background", tag: "presales",
			resp: presale.Presale{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, pid int64) (any, error) {
				return s.Draw(c.Request.Context(), p, pid)
			})},
		{method: "POST", path: "/presales/:id/settle", summary: "Capture the winners and void the rest now (the background job does it too)", tag: "presales",
			resp: presale.SettleCounts{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, pid int64) (any, error) {
				return s.SettleNow(c.Request.Context(), p, pid)
			})},
		{method: "POST", path: "/presales/:id/assign", summary: "Give the settled presale's winners seats in draw order and issue their tickets (again: goes on where it stopped)", tag: "presales",
			resp: presale.AssignCounts{},
			h: with(func(c *gin.Context, s *presale.Service, p sales.Principal, pid int64) (any, error) {
				return s.Assign(c.Request.Context(), p, pid)
			})},
		{method: "GET", path: "/presales/:id/pools.csv", summary: "The draw's pool, for `admit lottery verify`", tag: "presales", public: true,
			h: file("pools.csv", func(b *bytes.Buffer, p presale.Published) error { return lottery.WritePools(b, p.Pools) })},
		{method: "GET", path: "/presales/:id/applications.csv", summary: "The locked application list (no personal data), for the notary and `admit lottery verify`", tag: "presales", public: true,
			h: file("applications.csv", func(b *bytes.Buffer, p presale.Published) error { return lottery.WriteApplications(b, p.Applications) })},
		{method: "GET", path: "/presales/:id/result.json", summary: "The draw's published result with its seed", tag: "presales", public: true, resp: lottery.Result{},
			h: with(func(c *gin.Context, s *presale.Service, _ sales.Principal, pid int64) (any, error) {
				pub, err := s.Publish(c.Request.Context(), pid)
				if err != nil {
					return nil, err
				}
				if pub.Result == nil {
					return nil, &sales.Error{Kind: sales.KindConflict, Code: "presale_state", Message: "the presale is not drawn yet"}
				}
				return pub.Result, nil
			})},
	}
}

// choiceRequest is a winner's pick: the token of their link and the seats.
type choiceRequest struct {
	Token   string  `json:"token"`
	SeatIDs []int64 `json:"seat_ids"`
}
