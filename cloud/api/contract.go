package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/sales"
)

type repBody struct {
	UserID int64 `json:"user_id"`
}

// contractRoutes serve contract customers: managers add customers and
// appoint representatives; a representative (role customer_rep) sees
// its sessions' quotas, orders quantities, picks seats, uploads holders
// as CSV and reads its report; finance records payments.
func (a *API) contractRoutes() []route {
	with := func(fn func(*gin.Context, *contract.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Contract == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no contract customers"}
			}
			return fn(c, a.opts.Contract, p)
		}
	}
	order := func(fn func(*gin.Context, *contract.Service, sales.Principal, int64) (any, error)) handler {
		return with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
			oid, err := id(c, "id")
			if err != nil {
				return nil, err
			}
			return fn(c, s, p, oid)
		})
	}
	return []route{
		{method: "GET", path: "/contract/customers", summary: "Contract customers (a representative: its own)", tag: "contract", resp: []contract.Customer{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				return s.Customers(c.Request.Context(), p)
			})},
		{method: "POST", path: "/contract/customers", summary: "Add a contract customer", tag: "contract", body: contract.Customer{}, resp: contract.Customer{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				var in contract.Customer
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.CreateCustomer(c.Request.Context(), p, in)
			})},
		{method: "POST", path: "/contract/customers/:id/reps", summary: "Appoint a user with the customer_rep role as the customer's representative", tag: "contract", body: repBody{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, cid int64) (any, error) {
				var in repBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return nil, s.SetRep(c.Request.Context(), p, cid, in.UserID)
			})},
		{method: "GET", path: "/contract/sessions", summary: "Sessions open to contract orders with what is left of each quota, for all customers and for yours", tag: "contract",
			resp: []contract.SessionQuotas{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				return s.Sessions(c.Request.Context(), p)
			})},
		{method: "GET", path: "/contract/orders", summary: "Contract orders (a representative: its customer's)", tag: "contract", resp: []contract.Order{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				return s.Orders(c.Request.Context(), p)
			})},
		{method: "POST", path: "/contract/orders", summary: "Order a quantity of a session's price level: locks the quota on both tracks", tag: "contract",
			body: contract.NewOrder{}, resp: contract.Order{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				var in contract.NewOrder
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Place(c.Request.Context(), p, in)
			})},
		{method: "GET", path: "/contract/orders/:id", summary: "A contract order", tag: "contract", resp: contract.Order{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, oid int64) (any, error) {
				return s.Get(c.Request.Context(), p, oid)
			})},
		{method: "POST", path: "/contract/orders/:id/seats", summary: "Pick the order's seats (none: the best are assigned); held until the names' deadline", tag: "contract",
			body: contract.SeatRequest{}, resp: contract.Order{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, oid int64) (any, error) {
				var in contract.SeatRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Seat(c.Request.Context(), p, oid, in)
			})},
		{method: "POST", path: "/contract/orders/:id/holders", summary: "Name a holder per seat: CSV doc_type,doc_number,name, one line per seat; every bad line is reported", tag: "contract",
			resp: contract.Order{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, oid int64) (any, error) {
				o, err := s.Name(c.Request.Context(), p, oid, c.Request.Body)
				var ne *contract.NameError
				if errors.As(err, &ne) {
					return nil, fileError("bad_holders", "the holders file has problems; nothing was changed", "holders", len(ne.Lines),
						func(i int) (int, string) { return ne.Lines[i].Line, ne.Lines[i].Message })
				}
				return o, err
			})},
		{method: "POST", path: "/contract/orders/:id/payment", summary: "Record the customer's payment made outside the system (finance): the tickets are issued", tag: "contract",
			body: contract.Payment{}, resp: sales.Order{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, oid int64) (any, error) {
				var in contract.Payment
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.RecordPayment(c.Request.Context(), p, oid, in)
			})},
		{method: "POST", path: "/contract/orders/:id/print", summary: "Print a paid order's tickets for their bound holders (reprint=true to replace lost paper): each is counted printed", tag: "contract",
			query: []string{"reprint"}, resp: []contract.PrintedTicket{},
			h: order(func(c *gin.Context, s *contract.Service, p sales.Principal, oid int64) (any, error) {
				var reprint bool
				switch c.Query("reprint") {
				case "", "false":
				case "true":
					reprint = true
				default:
					return nil, sales.Invalid("bad_reprint", "reprint is true or false")
				}
				ts, err := s.Print(c.Request.Context(), p, oid, reprint)
				if err != nil {
					return nil, err
				}
				out := make([]printedTicket, len(ts))
				for i, t := range ts {
					if out[i], err = withQRImage(t); err != nil {
						return nil, err
					}
				}
				return out, nil
			})},
		{method: "GET", path: "/contract/notices", summary: "Notices to contract customers (a representative: its reminders, then the notices to its customer and to all)", tag: "contract",
			resp: []contract.Notice{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				return s.Notices(c.Request.Context(), p)
			})},
		{method: "POST", path: "/contract/notices", summary: "Post a notice to a contract customer's representatives (customer_id 0: to all)", tag: "contract",
			body: contract.Notice{}, resp: contract.Notice{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				var in contract.Notice
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.PostNotice(c.Request.Context(), p, in)
			})},
		{method: "GET", path: "/contract/report", summary: "What each customer bought, per session (format=csv for a file)", tag: "contract", query: []string{"format"},
			resp: []contract.Report{},
			h: with(func(c *gin.Context, s *contract.Service, p sales.Principal) (any, error) {
				rs, err := s.Report(c.Request.Context(), p)
				if err != nil || c.Query("format") != "csv" {
					return rs, err
				}
				c.Header("Content-Disposition", `attachment; filename="contract-report.csv"`)
				c.Data(http.StatusOK, "text/csv; charset=utf-8", contract.ReportCSV(rs))
				return nil, nil
			})},
	}
}

// printedTicket is a contract ticket to print, with its QR code as a PNG
// data URL for the page that prints it.
type printedTicket struct {
	contract.PrintedTicket
	QRImage string `json:"qr_image"`
}

func withQRImage(t contract.PrintedTicket) (printedTicket, error) {
	png, err := qrPNG(t.QR)
	if err != nil {
		return printedTicket{}, fmt.Errorf("ticket %s: %w", t.Number, err)
	}
	return printedTicket{PrintedTicket: t, QRImage: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}
