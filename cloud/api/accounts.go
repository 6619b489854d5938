package api

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"net/http"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/webshop"
)

type codeRequest struct {
	Phone string `json:"phone"`
	Lang  string `json:"lang"`
}

type registerRequest struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

type accountLogin struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

type decision struct {
	Reason string `json:"reason"`
}

// accountRoutes serve the public's accounts at a shop (public routes: the
// account's own token, when one is needed, is checked here) and the
// organiser's review of identities the provider could not check.
func (a *API) accountRoutes() []route {
	with := func(fn func(*gin.Context, *accounts.Service) (any, error)) handler {
		return func(c *gin.Context, _ sales.Principal) (any, error) {
			if a.opts.Accounts == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no public accounts"}
			}
			return fn(c, a.opts.Accounts)
		}
	}
	mine := func(fn func(*gin.Context, *accounts.Service, accounts.Account) (any, error)) handler {
		return with(func(c *gin.Context, s *accounts.Service) (any, error) {
			acct, err := s.Authenticate(c.Request.Context(), c.Param("tenant"), c.GetHeader("Authorization"))
			if err != nil {
				return nil, err
			}
			return fn(c, s, acct)
		})
	}
	// buying is mine for the shop's purchases.
	buying := func(fn func(*gin.Context, *webshop.Service, accounts.Account) (any, error)) handler {
		return mine(func(c *gin.Context, _ *accounts.Service, acct accounts.Account) (any, error) {
			if a.opts.WebShop == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server sells nothing to the public"}
			}
			return fn(c, a.opts.WebShop, acct)
		})
	}
	staff := func(approve bool) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Accounts == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no public accounts"}
			}
			iid, err := id(c, "id")
			if err != nil {
				return nil, err
			}
			var in decision
			if err := decode(c, &in); err != nil {
				return nil, err
			}
			return a.opts.Accounts.Decide(c.Request.Context(), p, iid, approve, in.Reason)
		}
	}
	return []route{
		{method: "POST", path: "/shop/:tenant/auth/code", summary: "Text a six-digit code to a phone (one a minute)", tag: "accounts", public: true, body: codeRequest{},
			h: with(func(c *gin.Context, s *accounts.Service) (any, error) {
				var in codeRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return nil, s.SendCode(c.Request.Context(), c.Param("tenant"), in.Phone, in.Lang)
			})},
		{method: "POST", path: "/shop/:tenant/auth/register", summary: "Open an account: the phone, its code, a password", tag: "accounts", public: true,
			body: registerRequest{}, resp: accounts.Session{},
			h: with(func(c *gin.Context, s *accounts.Service) (any, error) {
				var in registerRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Register(c.Request.Context(), c.Param("tenant"), in.Phone, in.Code, in.Password)
			})},
		{method: "POST", path: "/shop/:tenant/auth/login", summary: "Log in to an account", tag: "accounts", public: true, body: accountLogin{}, resp: accounts.Session{},
			h: with(func(c *gin.Context, s *accounts.Service) (any, error) {
				var in accountLogin
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Login(c.Request.Context(), c.Param("tenant"), in.Phone, in.Password)
			})},
		{method: "POST", path: "/shop/:tenant/me/logout", summary: "End every login of the account", tag: "accounts", public: true,
			h: mine(func(c *gin.Context, s *accounts.Service, acct accounts.Account) (any, error) {
				return nil, s.Logout(c.Request.Context(), acct)
			})},
		{method: "GET", path: "/shop/:tenant/me", summary: "The logged-in account: identity and related people", tag: "accounts", public: true, resp: accounts.Account{},
			h: mine(func(c *gin.Context, s *accounts.Service, acct accounts.Account) (any, error) {
				return s.Me(c.Request.Context(), acct)
			})},
		{method: "PUT", path: "/shop/:tenant/me/identity", summary: "Verify the account owner's identity document", tag: "accounts", public: true,
			body: accounts.Person{}, resp: accounts.Account{},
			h: mine(func(c *gin.Context, s *accounts.Service, acct accounts.Account) (any, error) {
				var in accounts.Person
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.SetIdentity(c.Request.Context(), acct, in)
			})},
		{method: "POST", path: "/shop/:tenant/me/holders", summary: "Add a related person (verified before they can hold a ticket)", tag: "accounts", public: true,
			body: accounts.Person{}, resp: accounts.Account{},
			h: mine(func(c *gin.Context, s *accounts.Service, acct accounts.Account) (any, error) {
				var in accounts.Person
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.AddHolder(c.Request.Context(), acct, in)
			})},
		{method: "DELETE", path: "/shop/:tenant/me/holders/:id", summary: "Remove a related person", tag: "accounts", public: true, resp: accounts.Account{},
			h: mine(func(c *gin.Context, s *accounts.Service, acct accounts.Account) (any, error) {
				hid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return s.RemoveHolder(c.Request.Context(), acct, hid)
			})},
		{method: "POST", path: "/shop/:tenant/me/orders", summary: "Buy: seats held on the web channel, a verified holder named for each, paid by card", tag: "accounts", public: true,
			body: webshop.BuyRequest{}, resp: sales.Order{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				var in webshop.BuyRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return ws.Buy(c.Request.Context(), acct, in)
			})},
		{method: "POST", path: "/shop/:tenant/me/presales/:id/applications", summary: "Apply to a presale as the account's verified owner, naming its verified people", tag: "accounts", public: true,
			body: webshop.PresaleRequest{}, resp: presale.Application{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				pid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in webshop.PresaleRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return ws.ApplyPresale(c.Request.Context(), acct, pid, in)
			})},
		{method: "GET", path: "/shop/:tenant/me/messages", summary: "The account's in-site messages, newest first", tag: "accounts", public: true, resp: []messages.Message{},
			h: mine(func(c *gin.Context, _ *accounts.Service, acct accounts.Account) (any, error) {
				if a.opts.Messages == nil {
					return []messages.Message{}, nil
				}
				return a.opts.Messages.Inbox(c.Request.Context(), acct.TenantID, acct.ID)
			})},
		{method: "GET", path: "/shop/:tenant/me/orders", summary: "The account's orders with their tickets and pickup codes", tag: "accounts", public: true, resp: []sales.Order{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				return ws.Orders(c.Request.Context(), acct)
			})},
		{method: "POST", path: "/shop/:tenant/me/orders/:id/pay", summary: "Pay one of the account's orders by card (another card after a decline)", tag: "accounts", public: true,
			body: sales.PaymentRequest{}, resp: sales.Order{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in sales.PaymentRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return ws.Pay(c.Request.Context(), acct, oid, in)
			})},
		{method: "POST", path: "/shop/:tenant/me/sessions/:id/alert", summary: "Text me when this session goes on sale at the shop", tag: "accounts", public: true,
			resp: webshop.SaleAlert{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return ws.AlertOnSale(c.Request.Context(), acct, sid)
			})},
		{method: "GET", path: "/shop/:tenant/me/orders/:id/refund", summary: "What a refund of the order would cost now, by its event's graded fees", tag: "accounts", public: true,
			resp: refundrule.Quote{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return ws.RefundQuote(c.Request.Context(), acct, oid)
			})},
		{method: "POST", path: "/shop/:tenant/me/orders/:id/refund", summary: "Ask for a refund of the whole order at the fee shown; a manager approves it", tag: "accounts", public: true,
			body: webshop.RefundRequest{}, resp: sales.RefundRequest{},
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in webshop.RefundRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return ws.RequestRefund(c.Request.Context(), acct, oid, in)
			})},
		{method: "GET", path: "/shop/:tenant/me/orders/:id/tickets/:number/qr.png", summary: "A ticket's QR code (PNG), for the gate", tag: "accounts", public: true,
			h: buying(func(c *gin.Context, ws *webshop.Service, acct accounts.Account) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				tk, err := ws.Ticket(c.Request.Context(), acct, oid, c.Param("number"))
				if err != nil {
					return nil, err
				}
				png, err := qrPNG(tk.QR)
				if err != nil {
					return nil, err
				}
				c.Header("Cache-Control", "private, no-store")
				c.Data(http.StatusOK, "image/png", png)
				return nil, nil
			})},
		{method: "GET", path: "/identity-reviews", summary: "Identities the provider could not check, waiting for a person", tag: "accounts", resp: []accounts.Identity{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				if a.opts.Accounts == nil {
					return []accounts.Identity{}, nil
				}
				return a.opts.Accounts.Reviews(c.Request.Context(), p)
			}},
		{method: "POST", path: "/identity-reviews/:id/approve", summary: "Verify an identity by hand (audited)", tag: "accounts", body: decision{}, resp: accounts.Identity{}, h: staff(true)},
		{method: "POST", path: "/identity-reviews/:id/reject", summary: "Reject an identity, saying why (audited)", tag: "accounts", body: decision{}, resp: accounts.Identity{}, h: staff(false)},
	}
}

// qrPNG draws a QR code of text, 8 pixels a module, with the standard
// quiet zone of four modules around it.
func qrPNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	const px, quiet = 8, 4
	n := code.Bounds().Dx()
	scaled, err := barcode.Scale(code, n*px, n*px)
	if err != nil {
		return nil, err
	}
	side := (n + 2*quiet) * px
	img := image.NewGray(image.Rect(0, 0, side, side))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(quiet*px, quiet*px, quiet*px+n*px, quiet*px+n*px), scaled, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
