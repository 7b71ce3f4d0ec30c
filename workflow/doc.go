// Package workflow owns the rules and state changes of the trade: validation of identifiers and
// eligibility, splitting, simplification, risk routing, FX allocation, tax periods and trace
// assembly. It owns transactions and returns typed errors (package apperr); it never imports
// Echo or renders anything. Pure rule code takes plain values and returns plain values, so it
// can be tested without a database and benchmarked alone.
package workflow
