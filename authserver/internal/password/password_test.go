package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
)

// tutorialHash is the $2y$ (passlib) hash of the FastAPI tutorial's user.
const tutorialHash = "$2y$10$RvXxgJ2EBCGnGCiDnWIpmePpBVEXwwzdeQNSQ497Y4.S5t3O0WrDO"

func newHasher(t testing.TB, cost int) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(cost, 0)
	if err != nil {
		t.Fatalf("NewHasher(%d): %v", cost, err)
	}
	return h
}

func TestNewHasher(t *testing.T) {
	tests := []struct {
		name    string
		cost    int
		wantErr bool
	}{
		{"below minimum", bcrypt.MinCost - 1, true},
		{"zero", 0, true},
		{"negative", -1, true},
		{"above maximum", bcrypt.MaxCost + 1, true},
		{"minimum", bcrypt.MinCost, false},
		{"five", 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := password.NewHasher(tt.cost, 2)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewHasher(%d) succeeded, want error", tt.cost)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewHasher(%d): %v", tt.cost, err)
			}
			if h.Cost() != tt.cost {
				t.Errorf("Cost() = %d, want %d", h.Cost(), tt.cost)
			}
		})
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, bcrypt.MinCost)
	const stored = "correct horse battery staple"
	hash, err := h.Hash(ctx, stored)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if cost, err := bcrypt.Cost(hash); err != nil || cost != h.Cost() {
		t.Fatalf("bcrypt.Cost(hash) = %d, %v; want %d", cost, err, h.Cost())
	}
	max := strings.Repeat("é", password.MaxLength/2) // 72 bytes, 36 runes
	maxHash, err := h.Hash(ctx, max)
	if err != nil {
		t.Fatalf("Hash(72 bytes): %v", err)
	}

	tests := []struct {
		name    string
		hash    []byte
		pw      string
		wantOK  bool
		wantErr error
	}{
		{"correct", hash, stored, true, nil},
		{"wrong", hash, "correct horse battery stapl", false, nil},
		{"case matters", hash, strings.ToUpper(stored), false, nil},
		{"trailing space matters", hash, stored + " ", false, nil},
		{"empty", hash, "", false, password.ErrEmpty},
		{"72 bytes", maxHash, max, true, nil},
		// bcrypt would ignore the 73rd byte; the password must be refused,
		// not accepted as equal to its first 72 bytes.
		{"73 bytes", maxHash, max + "x", false, password.ErrTooLong},
		{"1 MB", hash, strings.Repeat("a", 1<<20), false, password.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.hash, tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if rehash {
				t.Errorf("rehash = true for a hash of the hasher's own cost")
			}
		})
	}
}

func TestHashRejects(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost)
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", password.ErrEmpty},
		{"73 bytes", strings.Repeat("a", 73), password.ErrTooLong},
		{"37 two-byte runes", strings.Repeat("é", 37), password.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := h.Hash(context.Background(), tt.pw)
			if !errors.Is(err, tt.want) || hash != nil {
				t.Fatalf("Hash = %q, %v; want nil, %v", hash, err, tt.want)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost)
	a, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	if string(a) == string(b) {
		t.Fatalf("two hashes of one password are equal: %s", a)
	}
}

func TestVerifyUnknownUser(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost)
	tests := []struct {
		name string
		hash []byte
		pw   string
	}{
		{"nil hash", nil, "anything"},
		{"empty hash", []byte{}, "anything"},
		// The dummy hash's password is random: no guess makes it succeed.
		{"empty-looking password", nil, " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.hash, tt.pw)
			if ok || rehash || err != nil {
				t.Fatalf("Verify = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
	t.Run("length still checked", func(t *testing.T) {
		_, _, err := h.Verify(context.Background(), nil, strings.Repeat("a", 73))
		if !errors.Is(err, password.ErrTooLong) {
			t.Fatalf("Verify error = %v, want ErrTooLong", err)
		}
	})
}

func TestVerifyRehash(t *testing.T) {
	ctx := context.Background()
	const pw = "s3cret-password"
	at := func(cost int) []byte {
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
	h4, h5 := at(4), at(5)
	tests := []struct {
		name       string
		hasherCost int
		hash       []byte
		pw         string
		wantOK     bool
		wantRehash bool
	}{
		{"same cost", 4, h4, pw, true, false},
		{"stored cost lower", 5, h4, pw, true, true},
		{"stored cost higher", 4, h5, pw, true, true},
		{"wrong password, other cost", 5, h4, "wrong", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHasher(t, tt.hasherCost)
			ok, rehash, err := h.Verify(ctx, tt.hash, tt.pw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

func TestVerify2y(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, bcrypt.MinCost)
	const pw = "passlib user"
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(hash), "$2a$") && !strings.HasPrefix(string(hash), "$2b$") {
		t.Fatalf("unexpected hash prefix: %.4s", hash)
	}
	y := []byte("$2y$" + string(hash[4:]))

	tests := []struct {
		name    string
		hash    []byte
		pw      string
		wantOK  bool
		wantErr error
	}{
		{"correct", y, pw, true, nil},
		{"wrong", y, pw + "!", false, nil},
		{"too long", y, pw + strings.Repeat("x", 73-len(pw)), false, password.ErrTooLong},
		// The tutorial's hash parses: a wrong password is a mismatch, not
		// a malformed hash.
		{"tutorial hash, wrong password", []byte(tutorialHash), "not the password", false, nil},
		{"tutorial hash, too long", []byte(tutorialHash), strings.Repeat("secret", 13), false, password.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := h.Verify(ctx, tt.hash, tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost)
	const pw = "hunter2-hunter2"
	tests := []struct {
		name string
		hash string
	}{
		{"not bcrypt", "this is not a bcrypt hash at all, but long enough to parse"},
		{"too short", "$2a$04$abc"},
		{"newer version", "$3a$04$" + strings.Repeat("a", 53)},
		{"cost out of range", "$2a$40$" + strings.Repeat("a", 53)},
		{"cost not a number", "$2a$xx$" + strings.Repeat("a", 53)},
		{"plaintext password", pw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), []byte(tt.hash), pw)
			if !errors.Is(err, password.ErrMalformedHash) {
				t.Fatalf("Verify error = %v, want ErrMalformedHash", err)
			}
			if ok || rehash {
				t.Fatalf("Verify = %v, %v with an error", ok, rehash)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("error %q contains the password", err)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	h := newHasher(b, 10)
	hash, err := h.Hash(ctx, "benchmark password")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, hash, "benchmark password"); !ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}
