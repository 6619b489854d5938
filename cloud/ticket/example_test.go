package ticket_test

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
)

func Example() {
	// A fixed seed makes this a reproducible test vector; real keys come
	// from GenerateKey.
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	key := ticket.SigningKey{ID: 7, Private: priv}

	p := ticket.Payload{
		SystemCode:   "ADMIT01",
		VenueCode:    "11010001",
		BusinessDate: time.Date(2025, time.March, 14, 0, 0, 0, 0, time.UTC),
		Serial:       42,
		SessionID:    123456,
		SeatID:       7890123,
	}
	qr, err := ticket.Sign(p, key)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Number())
	fmt.Println(qr)
	fmt.Println(len(qr))

	got, id, err := ticket.Verify(qr, ticket.PublicKeys{7: priv.Public().(ed25519.PublicKey)})
	fmt.Println(got.Number(), id, err)
	// Output:
	// 1101000125031400000429
	// AD1:%50DB8UY9.SAY86WALYJQ4%U0009I58ZOEYP3KS000700XKN0*II497MSY.QCMI.QG19WUFV% HQORSR6GFQCLUP O3CMGF6ZJGG.RMJPX-V6RO:YOPSR4V02RP*AI.LBJ8NJRARD8+DG
	// 145
	// 1101000125031400000429 7 <nil>
}
