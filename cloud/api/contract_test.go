package api_test

import (
	"net/http"
	"testing"

	"github.com/admitbox/admit/cloud/contract"
)

// A contract print that does not say true or false for reprint, and a
// notice with no title, are refused and change nothing.
func TestContractPrintsAndNoticesRefuseBadInput(t *testing.T) {
	w := newWorld(t)
	var cust contract.Customer
	w.ok(w.call(w.a.admin, "POST", "/api/v1/contract/customers", map[string]any{"code": "bank", "name": "Bank", "enabled": true}), &cust)
	if r := w.call(w.a.admin, "POST", "/api/v1/contract/orders/1/print?reprint=maybe", nil); r.status != http.StatusBadRequest || r.errorCode() != "bad_reprint" {
		t.Fatalf("reprint=maybe: %d %s", r.status, r.body)
	}
	if r := w.call(w.a.admin, "POST", "/api/v1/contract/notices", map[string]any{"customer_id": cust.ID, "title": " ", "body": "x"}); r.status != http.StatusBadRequest || r.errorCode() != "invalid_notice" {
		t.Fatalf("a notice with no title: %d %s", r.status, r.body)
	}
	if r := w.call(w.a.admin, "POST", "/api/v1/contract/notices", `{"title": "x", "body": `); r.status != http.StatusBadRequest {
		t.Fatalf("a truncated notice: %d %s", r.status, r.body)
	}
	var ns []contract.Notice
	w.ok(w.call(w.a.admin, "GET", "/api/v1/contract/notices", nil), &ns)
	if len(ns) != 0 {
		t.Fatalf("refused notices were kept: %+v", ns)
	}
}
