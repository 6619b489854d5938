package auth

import "testing"

// TestCan is the access policy written out as a spec: one row per action,
// one column per role. Every role × action pair is checked, in both
// directions.
func TestCan(t *testing.T) {
	const Y, n = true, false
	roles := []Role{RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleGateStaff, RoleAuditor, RoleFinance, RoleCustomerRep}
	spec := []struct {
		action Action
		//         platform tenant venue clerk gate auditor finance rep
		allow [8]bool
	}{
		{ManageTenants, [8]bool{Y, n, n, n, n, n, n, n}},
		{ManageVenues, [8]bool{Y, Y, n, n, n, n, n, n}},
		{ManageUsers, [8]bool{Y, Y, n, n, n, n, n, n}},
		{ManageSessions, [8]bool{n, Y, Y, n, n, n, n, n}},
		{Sell, [8]bool{n, Y, Y, Y, n, n, n, n}},
		{RequestRefund, [8]bool{n, Y, Y, Y, n, n, n, n}},
		{ApproveRefund, [8]bool{n, Y, Y, n, n, n, n, n}},
		{ReadSales, [8]bool{Y, Y, Y, Y, n, Y, Y, n}},
		{ReadCatalog, [8]bool{Y, Y, Y, Y, Y, Y, Y, Y}},
		{ReadAudit, [8]bool{Y, Y, Y, n, n, Y, n, n}},
		{ReadReports, [8]bool{Y, Y, Y, n, n, Y, n, n}},
		{ManageReports, [8]bool{Y, Y, n, n, n, n, n, n}},
		{RecordMakeup, [8]bool{n, Y, Y, n, n, n, n, n}},
		{ReadPersonalData, [8]bool{Y, Y, Y, n, n, n, n, n}},
		{Settle, [8]bool{n, Y, n, n, n, n, Y, n}},
	}
	if len(spec) != len(Actions()) || len(roles) != len(Roles()) {
		t.Fatalf("spec covers %d actions × %d roles; package has %d × %d", len(spec), len(roles), len(Actions()), len(Roles()))
	}
	for i, row := range spec {
		if row.action != Actions()[i] {
			t.Errorf("spec row %d is %s, Actions()[%d] is %s", i, row.action, i, Actions()[i])
		}
		for j, r := range roles {
			if got := Can(r, row.action); got != row.allow[j] {
				t.Errorf("Can(%s, %s) = %v, want %v", r, row.action, got, row.allow[j])
			}
		}
	}
}

func TestAuditorNeverWrites(t *testing.T) {
	for _, a := range Actions() {
		read := a == ReadSales || a == ReadCatalog || a == ReadAudit || a == ReadReports
		if Can(RoleAuditor, a) != read {
			t.Errorf("Can(auditor, %s) = %v", a, !read)
		}
	}
}

func TestUnknownDenied(t *testing.T) {
	if Can("root", ReadCatalog) || Can("", ReadCatalog) {
		t.Error("unknown role allowed")
	}
	if Can(RolePlatformAdmin, "everything") {
		t.Error("unknown action allowed")
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles() {
		got, err := ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "admin", "Clerk", "clerk ", "platform-admin"} {
		if _, err := ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
}

func TestTenantWide(t *testing.T) {
	want := map[Role]bool{
		RolePlatformAdmin: true, RoleTenantAdmin: true, RoleAuditor: true, RoleFinance: true, RoleCustomerRep: true,
		RoleVenueManager: false, RoleClerk: false, RoleGateStaff: false,
	}
	for _, r := range Roles() {
		if r.TenantWide() != want[r] {
			t.Errorf("%s.TenantWide() = %v", r, !want[r])
		}
	}
	if Role("bogus").TenantWide() {
		t.Error("unknown role is tenant-wide")
	}
}
