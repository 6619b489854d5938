// Package storetest is the conformance suite of the sales.Store contract.
// Every engine (SQLite, PostgreSQL) runs it through the sales service, so
// it checks behaviour a box office relies on, not SQL.
package storetest

import (
	"context"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
)

// Run runs the conformance suite against stores made by open; each call to
// open must return a fresh, empty, migrated store.
func Run(t *testing.T, open func(t *testing.T) sales.Store) {
	for _, c := range capabilities {
		t.Run(c.name, func(t *testing.T) {
			c.test(t, open)
		})
	}
}

type capability struct {
	name string
	test func(t *testing.T, open func(t *testing.T) sales.Store)
}

// fixture opens a fresh store and builds the standard fixture on it.
func fixture(t *testing.T, open func(t *testing.T) sales.Store) *Fixture {
	t.Helper()
	return NewFixture(t, open(t))
}

var ctx = context.Background()

var capabilities = []capability{
	{"holds are all or nothing", testHoldAllOrNothing},
	{"a transaction whose caller hangs up halfway is finished, and so is the batch", testCallerHangsUpMidTransaction},
	{"a hold makes one order, however many confirm it at once", testAHoldMakesOneOrder},
	{"a closed event refunds nothing until the session is postponed or cancelled; printed tickets come back first", testSpecialRefunds},
	{"the inventory's daily and weekly exports are taken once, kept with their digest, and agree with the channels' sales", testInventoryExports},
	{"seats reserved for a contract customer are its own: assigned to its orders first, refused to others", testContractReserved},
	{"contract customers' two quota tracks hold against the public; names by CSV; tickets once paid; unnamed orders lapse", testContract},
	{"a real-name pass names one holder on every session's ticket; the same document holds no second pass, nor more than the event's limit", testRealNamePasses},
	{"a seated pass takes its seat in every session in one transaction or none; a refund gives all back", testPasses},
	{"settlement: an agency's orders and refunds settle once each, by day; closed runs never change; statements reconciled", testSettlement},
	{"agencies: keys work while current; an agency's quota holds against the box office; one order per idempotency key", testAgencies},
	{"public accounts: a phone proved by a code, identities verified once, holders capped, a review by hand", testAccounts},
	{"an account buys at the shop naming its verified people, within every limit", testWebShop},
	{"a buyer asks the shop for a refund at the event's graded fee, shown first; a manager approves it", testShopRefunds},
	{"an approved refund goes back to the card once, even when the provider did not answer at approval", testRefundsPayBack},
	{"a session's public sale opens at its time; the accounts that asked are texted once", testSaleAlerts},
	{"the shop shows events on sale with the seats left, at most a second old", testStorefront},
	{"messages go once per key, at the provider's pace, retried while it is down", testMessages},
	{"a presale by lottery: one application per person, a verifiable draw, losers voided once across a crash", testPresaleLottery},
	{"a presale's winners pick their seats through their link within the window; after it the rest are assigned", testPresaleChoice},
	{"no seat is held twice when 50 buyers race for the same seats", testRaceSameSeats},
	{"no seat is sold twice when more buyers than seats buy best available at once", testRaceSellOut},
	{"expired holds free their seats", testHoldsExpire},
	{"best available prefers adjacent seats in one row", testBestAvailable},
	{"200 best-available buyers for one level at once are all served, together, no seat twice", testBestAvailableCrowd},
	{"a seat map's delta since V applied to the map at V is the map now, under concurrent sales", testSeatMapDeltas},
	{"paying issues signed tickets with the sale", testPayIssuesTickets},
	{"two cloud processes on one store never issue the same ticket number", testSerialsAcrossProcesses},
	{"card payments are approved or declined without losing the seats", testCardPayments},
	{"a declined card, then another card, pays the order", testCardDeclineThenAnotherCard},
	{"a cash sale is confirmed and paid in one step, or not at all", testCashSaleInOneStep},
	{"a card payment that timed out and is retried charges once", testCardTimeoutRetriedOnce},
	{"two cards racing to pay one order: one charge, the other voided", testTwoCardsRaceOneOrder},
	{"a card paid with the order: declines, resends and races charge once", testCardWithTheOrder},
	{"a card attempt whose charge was voided never pays when sent again", testVoidedAttemptNeverPays},
	{"refunds need a second person and revoke the tickets", testRefundFourEyes},
	{"refunds stop when the session starts", testRefundAfterStart},
	{"tenants cannot see or touch each other's data", testTenantIsolation},
	{"venue staff see only their venues", testVenueScope},
	{"every write is audited on an intact chain", testAudit},
	{"rotated keys keep old tickets valid until revoked", testKeyRotation},
	{"seat map changes reach sessions", testSeatMapChanges},
	{"bad input changes nothing", testBadInput},
	{"channel quotas cap a channel's sales", testQuotas},
	{"reserved seats go only to their customer", testReservedSeats},
	{"repeated wrong passwords lock the account for a while", testLoginLockout},
	{"a password change ends existing logins", testPasswordChangeEndsLogins},
	{"a role held to one login: a new login ends the user's earlier one", testSingleLogin},
	{"logins end on logout and after the idle timeout, audited with the request; who is online", testLoginSessions},
	{"customers' names and phones are masked for a clerk, and every unmasked read is audited", testPersonalDataMasked},
	{"a real-name event: one ticket per document per session, the event's limit whatever the race, refunds free it", testRealNameHolders},
	{"a real-name session's gates get the tenant's holder key and each ticket's holder hash, never the cloud's key", testHolderTagsReachGates},
	{"a real-name show of 5,000 seats keeps at most 15 % off public sale", testPublicShare},
	{"with a master key, customers' names and phones are stored sealed and found by the whole name", testPersonalDataSealed},
	{"the password policy refuses plain and recent passwords and flags expired ones", testPasswordPolicy},
	{"with a master key, what the public gives the shop is stored sealed", testPublicDataSealed},
	{"secrets are sealed with the master key: without it the store signs nothing; the key rotates", testSecretsAtRest},
	{"the session version moves with every seat change", testSessionVersion},
	{"a device enrolls once with its code, which expires after a day", testEnrollment},
	{"the venue feed numbers every change contiguously, in the change's transaction", testFeed},
	{"concurrent sales keep the venue feed contiguous", testFeedUnderLoad},
	{"a venue snapshot holds exactly the valid tickets, revocations, keys, sessions and admissions", testSnapshot},
	{"device facts are stored once and acknowledged up to the first gap", testIngestIdempotent},
	{"an entry a gate recovered without a confirmed passage counts and raises an alert", testUnconfirmedAdmission},
	{"anti-passback keeps every admission and alerts on a second entry", testPassback},
}
