package workflow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Idempotency is an API create's Idempotency-Key: a client that retries the same request with
// the same key gets the first answer again and creates nothing new; the same key with another
// request is a conflict. Keys belong to a user and are kept in idempotency_keys, written in the
// same database transaction as the record they created.
type Idempotency struct {
	Key         string // the header as sent (trimmed); "" for a create without one
	RequestHash string // RequestHash of the request
}

// Answer is a create's answer as it is sent and remembered for its key: the HTTP status and the
// body. The workflow stores it; it never looks inside.
type Answer struct {
	Status int
	Body   []byte
}

// RequestHash is the hex SHA-256 of a request's method, path and body: what makes two requests
// under one key "the same".
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// MaxIdempotencyKey is the longest key accepted (the column's CHECK).
const MaxIdempotencyKey = 200

// CheckIdempotencyKey checks a key's length and characters (printable ASCII, as HTTP headers
// carry it); "" (no key) is fine.
func CheckIdempotencyKey(key string) error {
	key = strings.TrimSpace(key)
	if len(key) > MaxIdempotencyKey || strings.IndexFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return apperr.Field("Idempotency-Key", apperr.T("Use an Idempotency-Key of at most 200 printable characters, e.g. a UUID",
			"Idempotency-Key 最多 200 个可打印字符，例如使用 UUID"))
	}
	return nil
}

var errKeyReused = apperr.New(apperr.Conflict, apperr.T(
	"This Idempotency-Key was already used for a different request; send a new key for a new request",
	"该 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的 Idempotency-Key"))

// storedAnswer looks a key up inside tx: the stored answer of the same request, a conflict for a
// different one, or nil when the key is new.
func storedAnswer(tx *gorm.DB, actor Actor, idem Idempotency) (*Answer, error) {
	var k models.IdempotencyKey
	err := tx.Where("user_id = ? AND key = ?", actor.UserID, idem.Key).Take(&k).Error
	if noSuchRow(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if k.RequestHash != idem.RequestHash {
		return nil, errKeyReused
	}
	return &Answer{Status: k.ResponseStatus, Body: []byte(k.ResponseBody)}, nil
}

// idempotentCreate runs a create and remembers its answer under the request's key, in one
// database transaction: create does the work inside tx and answer renders what the client gets.
// A retry of the same request returns the stored answer (replayed true) and creates nothing; a
// different request under the key is a conflict. When two retries race, the unique index on
// (user, key) lets exactly one commit: the other's transaction, and so its record, is rolled
// back, and it answers with the winner's stored answer. Without a key it is a plain create.
func idempotentCreate[T any](ctx context.Context, s *Service, actor Actor, idem Idempotency,
	create func(tx *gorm.DB) (T, error), answer func(T) (Answer, error)) (Answer, bool, error) {
	idem.Key = strings.TrimSpace(idem.Key)
	if err := CheckIdempotencyKey(idem.Key); err != nil {
		return Answer{}, false, err
	}
	var out Answer
	replayed := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if idem.Key != "" {
			prev, err := storedAnswer(tx, actor, idem)
			if err != nil {
				return err
			}
			if prev != nil {
				out, replayed = *prev, true
				return nil
			}
		}
		v, err := create(tx)
		if err != nil {
			return err
		}
		if out, err = answer(v); err != nil {
			return err
		}
		if idem.Key == "" {
			return nil
		}
		return tx.Create(&models.IdempotencyKey{UserID: actor.UserID, Key: idem.Key, RequestHash: idem.RequestHash,
			ResponseStatus: out.Status, ResponseBody: string(out.Body), CreatedAt: s.now()}).Error
	})
	if idem.Key != "" && models.IsUniqueViolation(err) && strings.Contains(err.Error(), "idempotency") {
		// A concurrent retry committed first: answer as it did.
		prev, perr := storedAnswer(s.db.WithContext(ctx), actor, idem)
		if perr != nil {
			return Answer{}, false, apperr.Wrap(perr, "idempotency replay")
		}
		if prev != nil {
			return *prev, true, nil
		}
	}
	if err != nil {
		return Answer{}, false, apperr.Wrap(err, "idempotent create")
	}
	out.Body = bytes.Clone(out.Body)
	return out, replayed, nil
}
