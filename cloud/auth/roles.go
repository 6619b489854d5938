// Package auth holds the cloud's rules for users' credentials and access:
// roles and what each role may do, argon2id password hashing, the login
// lockout decision, and stateless HMAC-signed login tokens.
//
// It is pure: no SQL, no HTTP, no global mutable state. Callers inject
// clocks and persist whatever state (failure counts, token generations)
// the decisions here need.
package auth

import "fmt"

// Role is what a user is in the platform. A user holds one role; the
// venues it applies to (for roles that are not TenantWide) are stored by
// the caller.
type Role string

const (
	RolePlatformAdmin Role = "platform_admin" // operator of the whole platform, all tenants
	RoleTenantAdmin   Role = "tenant_admin"   // a cinema chain / event organiser, all its venues
	RoleVenueManager  Role = "venue_manager"  // one or more venues: sessions, prices, approves refunds
	RoleClerk         Role = "clerk"          // box-office clerk: sells, requests refunds
	RoleGateStaff     Role = "gate_staff"     // reads sessions and tickets for entry
	RoleAuditor       Role = "auditor"        // read-only: sales, audit log
	RoleFinance       Role = "finance"        // settlement with partners, reconciliation, payments made outside the system
	RoleCustomerRep   Role = "customer_rep"   // a contract customer's representative: its quotas, orders, holders, printing
	// RoleShop is the public shop acting for one of the public's accounts:
	// it sells on the web channel and reads what it sold. No user has it
	// (Roles and ParseRole leave it out); cloud/webshop makes it.
	RoleShop Role = "shop"
	// RoleAgency is an agency's system selling through its API key
	// (cloud/agency makes it; never a user's role).
	RoleAgency Role = "agency"
	// RoleContract is cloud/contract selling for a contract customer, on
	// the contract channel, as its representative or staff asked.
	RoleContract Role = "contract"
)

// Roles lists every role, most powerful first.
func Roles() []Role {
	return []Role{RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleGateStaff, RoleAuditor, RoleFinance, RoleCustomerRep}
}

// ParseRole returns the role named s, or an error if s names none.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("auth: unknown role %q", s)
}

// TenantWide reports whether the role sees every venue of its tenant
// (platform admin, tenant admin, auditor). Other roles see only the venues
// they are assigned to.
func (r Role) TenantWide() bool {
	switch r {
	case RolePlatformAdmin, RoleTenantAdmin, RoleAuditor, RoleShop, RoleAgency, RoleFinance, RoleCustomerRep, RoleContract:
		return true
	}
	return false
}

// Action is something a user may be allowed to do.
type Action string

const (
	ManageTenants  Action = "tenants.manage"  // platform admin only
	ManageVenues   Action = "venues.manage"   // venues, halls, seat maps, signing keys: tenant admin (+platform admin)
	ManageUsers    Action = "users.manage"    // tenant admin (+platform admin)
	ManageSessions Action = "sessions.manage" // events, sessions, prices, quotas, seat categories: tenant admin, venue manager
	Sell           Action = "sales.sell"      // holds, orders, payments: tenant admin, venue manager, clerk
	RequestRefund  Action = "refunds.request" // tenant admin, venue manager, clerk
	ApproveRefund  Action = "refunds.approve" // tenant admin, venue manager (never one's own request: enforced by the caller)
	ReadSales      Action = "sales.read"      // everyone except gate staff
	ReadCatalog    Action = "catalog.read"    // venues/halls/sessions/prices: everyone
	ReadAudit      Action = "audit.read"      // platform admin, tenant admin, venue manager, auditor
	ReadReports    Action = "reports.read"    // the national data platform reporting: platform admin, tenant admin, venue manager, auditor
	ManageReports  Action = "reports.manage"  // re-send a report: platform admin, tenant admin
	RecordMakeup   Action = "reports.makeup"  // record or approve a 补登 (late sale or refund): tenant admin, venue manager
	// ReadPersonalData sees customers' names and phone numbers unmasked
	// (each such read audited): platform admin, tenant admin, venue manager.
	ReadPersonalData Action = "personal_data.read"
	// Settle runs settlements with partners and resolves their
	// differences: tenant admin, finance.
	Settle Action = "settlement.manage"
)

// Actions lists every action.
func Actions() []Action {
	return []Action{ManageTenants, ManageVenues, ManageUsers, ManageSessions, Sell,
		RequestRefund, ApproveRefund, ReadSales, ReadCatalog, ReadAudit, ReadReports, ManageReports, RecordMakeup, ReadPersonalData, Settle}
}

// permissions is the whole access policy: for each action, the roles
// allowed to perform it. Anything not listed is denied.
var permissions = map[Action][]Role{
	ManageTenants:    {RolePlatformAdmin},
	ManageVenues:     {RolePlatformAdmin, RoleTenantAdmin},
	ManageUsers:      {RolePlatformAdmin, RoleTenantAdmin},
	ManageSessions:   {RoleTenantAdmin, RoleVenueManager},
	Sell:             {RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleShop, RoleAgency, RoleContract},
	RequestRefund:    {RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleShop, RoleAgency},
	ApproveRefund:    {RoleTenantAdmin, RoleVenueManager},
	ReadSales:        {RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleAuditor, RoleShop, RoleAgency, RoleFinance, RoleContract},
	ReadCatalog:      {RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleClerk, RoleGateStaff, RoleAuditor, RoleShop, RoleAgency, RoleFinance, RoleCustomerRep, RoleContract},
	ReadAudit:        {RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleAuditor},
	ReadReports:      {RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager, RoleAuditor},
	ManageReports:    {RolePlatformAdmin, RoleTenantAdmin},
	RecordMakeup:     {RoleTenantAdmin, RoleVenueManager},
	ReadPersonalData: {RolePlatformAdmin, RoleTenantAdmin, RoleVenueManager},
	Settle:           {RoleTenantAdmin, RoleFinance},
}

// Can reports whether role r may perform action a. Unknown roles and
// unknown actions are denied. It only answers the role question: venue
// scoping (TenantWide) and "never approve one's own refund" are the
// caller's to enforce.
func Can(r Role, a Action) bool {
	for _, allowed := range permissions[a] {
		if allowed == r {
			return true
		}
	}
	return false
}
