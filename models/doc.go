// Package models holds mpt's persistence shapes (GORM structs that mirror the SQL in
// migrations/), the stores and queries over *gorm.DB, and the translation of database errors
// into apperr codes. It knows nothing of HTTP.
//
// Conventions: every table has an int64 primary key named id (but for keyed lookups such as
// settings); amounts are fixed-point integers (see amounts.go), never floats; dates are
// "YYYY-MM-DD" text and months "YYYY-MM" text, so both databases sort and compare them alike;
// timestamps are UTC; records whose state changes carry a version for optimistic locking.
// Every struct names its indexes, and a test checks that the migrated schema has each of them.
package models
