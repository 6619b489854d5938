package api

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/sales"
)

// messageRoutes show what was sent to the public and send a failed
// message again.
func (a *API) messageRoutes() []route {
	with := func(fn func(*gin.Context, *messages.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Messages == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server sends no messages"}
			}
			return fn(c, a.opts.Messages, p)
		}
	}
	return []route{
		{method: "GET", path: "/messages", summary: "Messages to the public, newest first: state, attempts, the provider's answer; recipients masked", tag: "messages",
			query: []string{"state", "key", "limit"}, resp: []messages.Message{},
			h: with(func(c *gin.Context, m *messages.Service, p sales.Principal) (any, error) {
				limit, _ := strconv.Atoi(c.Query("limit"))
				return m.List(c.Request.Context(), p, messages.Filter{State: messages.State(c.Query("state")), Key: c.Query("key"), Limit: limit})
			})},
		{method: "POST", path: "/messages/:id/resend", summary: "Send a failed message again", tag: "messages", resp: messages.Message{},
			h: with(func(c *gin.Context, m *messages.Service, p sales.Principal) (any, error) {
				mid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return m.Resend(c.Request.Context(), p, mid)
			})},
		{method: "GET", path: "/messages/templates", summary: "The message templates, in Chinese and English", tag: "messages", resp: []messages.Template{},
			h: with(func(c *gin.Context, m *messages.Service, p sales.Principal) (any, error) {
				return messages.Templates(), nil
			})},
	}
}
