package models

import (
	"fmt"
	"math/big"
	"strings"
)

// Money is an amount in hundredths of its currency's unit (cents, fen). Money is never a float:
// customs values are declared to two decimals, so every amount in mpt is a Money.
type Money int64

// Price is a unit price in ten-thousandths of the currency's unit: Yiwu sells many goods at
// fractions of a cent each (a bead at USD 0.0035), which two decimals cannot hold.
type Price int64

// Quantity is a count or measure in thousandths of its unit (3 decimals, as customs declares
// quantities in kilograms and metres).
type Quantity int64

// Grams is a mass in grams: net and gross kilograms with three decimals.
type Grams int64

// Rate is an exchange rate, CNY per one unit of a currency, in millionths (6 decimals).
type Rate int64

// Scales of the fixed-point types, as powers of ten.
const (
	MoneyScale    = 2
	PriceScale    = 4
	QuantityScale = 3
	GramsScale    = 3 // grams shown as kilograms
	RateScale     = 6
)

func (m Money) String() string    { return formatFixed(int64(m), MoneyScale) }
func (p Price) String() string    { return formatFixed(int64(p), PriceScale) }
func (q Quantity) String() string { return formatFixed(int64(q), QuantityScale) }
func (r Rate) String() string     { return formatFixed(int64(r), RateScale) }

// Kg formats a mass in kilograms with three decimals.
func (g Grams) Kg() string { return formatFixed(int64(g), GramsScale) }

// ParseMoney reads a decimal such as "1234.5" or "1,234.50" into Money.
func ParseMoney(s string) (Money, error) { v, err := ParseFixed(s, MoneyScale); return Money(v), err }

// ParsePrice reads a decimal unit price with up to four decimals.
func ParsePrice(s string) (Price, error) { v, err := ParseFixed(s, PriceScale); return Price(v), err }

// ParseQuantity reads a decimal quantity with up to three decimals.
func ParseQuantity(s string) (Quantity, error) {
	v, err := ParseFixed(s, QuantityScale)
	return Quantity(v), err
}

// ParseKg reads kilograms with up to three decimals into Grams.
func ParseKg(s string) (Grams, error) { v, err := ParseFixed(s, GramsScale); return Grams(v), err }

// ParseRate reads an exchange rate with up to six decimals.
func ParseRate(s string) (Rate, error) { v, err := ParseFixed(s, RateScale); return Rate(v), err }

// LineAmount is quantity × unit price, rounded half away from zero to the cent. It is the one
// place a line's amount is computed, so client figures never count.
func LineAmount(q Quantity, p Price) Money {
	// q has 3 decimals, p has 4: the product has 7; a Money has 2.
	prod := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(int64(p)))
	return Money(roundDiv(prod, big.NewInt(100000)))
}

// ToCNY converts an amount at a rate (CNY per unit), rounding to the fen.
func ToCNY(m Money, r Rate) Money {
	prod := new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(r)))
	return Money(roundDiv(prod, big.NewInt(1_000_000)))
}

// FromCNY converts a CNY amount into a currency at its rate (CNY per unit), rounding to the
// hundredth. A zero rate returns 0 and false.
func FromCNY(cny Money, r Rate) (Money, bool) {
	if r <= 0 {
		return 0, false
	}
	num := new(big.Int).Mul(big.NewInt(int64(cny)), big.NewInt(1_000_000))
	return Money(roundDiv(num, big.NewInt(int64(r)))), true
}

// roundDiv divides rounding half away from zero.
func roundDiv(num, den *big.Int) int64 {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r2 := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
	if r2.Cmp(new(big.Int).Abs(den)) >= 0 {
		if num.Sign()*den.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

func formatFixed(v int64, scale int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	s := fmt.Sprintf("%0*d", scale+1, u)
	out := s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		out = "-" + out
	}
	return out
}

// ParseFixed reads a plain decimal string into an integer with the given number of decimals.
// It accepts an optional sign, thousands separators (","), and at most scale decimals; it
// refuses exponents, blanks and anything that would need rounding.
func ParseFixed(s string, scale int) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(frac) > scale {
		return 0, fmt.Errorf("at most %d decimals allowed", scale)
	}
	digits := intPart + frac + strings.Repeat("0", scale-len(frac))
	if len(strings.TrimLeft(digits, "0")) > 18 {
		return 0, fmt.Errorf("number too large")
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}
