package ticket

import "fmt"

// base45Alphabet is the RFC 9285 alphabet: exactly the 45 characters of the
// QR code alphanumeric mode, in value order.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Value maps a byte to its Base45 value, or -1 if it is not in the
// alphabet.
var base45Value = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// base45EncodedLen returns the length of the Base45 encoding of n bytes.
func base45EncodedLen(n int) int { return n/2*3 + n%2*2 }

// base45Encode encodes src as RFC 9285 Base45: every 2 bytes [a b] become the
// number n = a*256 + b written as 3 characters c d e with n = c + d*45 +
// e*45*45; a final odd byte becomes 2 characters c d with n = c + d*45.
func base45Encode(src []byte) string {
	out := make([]byte, 0, base45EncodedLen(len(src)))
	i := 0
	for ; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/(45*45)])
	}
	if i < len(src) {
		n := int(src[i])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// base45Decode decodes RFC 9285 Base45. It rejects characters outside the
// alphabet (including lower case), lengths with len%3 == 1, triples whose
// value exceeds 65535 and final pairs whose value exceeds 255. Errors wrap
// ErrMalformed. Because of these checks the encoding is canonical: if
// base45Decode(s) succeeds then base45Encode of the result equals s.
func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: base45 length %d is invalid (length mod 3 is 1)", ErrMalformed, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+len(s)%3/2)
	for i := 0; i < len(s); i += 3 {
		chunk := s[i:min(i+3, len(s))]
		n := 0
		mul := 1
		for j := 0; j < len(chunk); j++ {
			v := base45Value[chunk[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: invalid base45 character %q at offset %d", ErrMalformed, chunk[j], i+j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if len(chunk) == 3 {
			if n > 0xFFFF {
				return nil, fmt.Errorf("%w: base45 triple %q at offset %d exceeds 65535", ErrMalformed, chunk, i)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, fmt.Errorf("%w: base45 final pair %q at offset %d exceeds 255", ErrMalformed, chunk, i)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
