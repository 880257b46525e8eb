package login

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

type users struct {
	m   map[string]store.User
	err error
}

func (u *users) GetUser(_ context.Context, name string) (store.User, error) {
	if u.err != nil {
		return store.User{}, u.err
	}
	if usr, ok := u.m[name]; ok {
		return usr, nil
	}
	return store.User{}, store.ErrNotFound
}

func (u *users) UpdateUser(_ context.Context, name string, update func(store.User) (store.User, error)) error {
	usr, err := update(u.m[name])
	u.m[name] = usr
	return err
}

// throttle records failures and locks whom it is told to.
type throttle struct {
	locked   string
	failures []string
	cleared  []string
}

func (t *throttle) AccountLocked(_ context.Context, name string) bool { return name == t.locked }
func (t *throttle) LoginFailed(_ *http.Request, client, name string) {
	t.failures = append(t.failures, client+"/"+name)
}
func (t *throttle) LoginSucceeded(_ context.Context, name string) {
	t.cleared = append(t.cleared, name)
}

func TestCheck(t *testing.T) {
	cheap, err := password.NewHasher(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	strong, err := password.NewHasher(5, 0)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := cheap.Hash(context.Background(), "right")
	if err != nil {
		t.Fatal(err)
	}
	errDown := errors.New("store down")
	tests := []struct {
		name, user, pw string
		locked         string
		storeErr       error
		wantErr        error
		wantFailure    string // what the throttle was told, "" for nothing
	}{
		{"right password", "alice", "right", "", nil, nil, ""},
		{"name in another case and width", "ＡＬＩＣＥ", "right", "", nil, nil, ""},
		{"wrong password", "alice", "wrong", "", nil, ErrFailed, "web/alice"},
		{"unknown user", "nobody", "right", "", nil, ErrFailed, "web/nobody"},
		{"disabled user", "off", "right", "", nil, ErrFailed, "web/off"},
		{"locked out, right password", "alice", "right", "alice", nil, ErrFailed, "web/alice"},
		{"name not a valid user name", "a\u0000b", "right", "", nil, ErrFailed, "web/"},
		{"name too long", strings.Repeat("a", MaxUsernameLen+1), "right", "", nil, ErrFailed, "web/"},
		{"password longer than bcrypt reads", "alice", strings.Repeat("p", MaxPasswordLen+1), "", nil, ErrFailed, "web/"},
		{"store down: not a failed login", "alice", "right", "", errDown, errDown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := &users{m: map[string]store.User{
				"alice": {Username: "alice", PasswordHash: hash},
				"off":   {Username: "off", PasswordHash: hash, Disabled: true},
			}, err: tt.storeErr}
			th := &throttle{locked: tt.locked}
			c := NewChecker(us, strong, th, slog.New(slog.DiscardHandler))
			u, err := c.Check(context.Background(), httptest.NewRequest("POST", "/", nil), "web", tt.user, tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			var unavailable *Unavailable
			if (tt.storeErr != nil) != errors.As(err, &unavailable) {
				t.Errorf("err %v: Unavailable only for a failing store", err)
			}
			got := strings.Join(th.failures, ",")
			if got != tt.wantFailure {
				t.Errorf("throttle told %q, want %q", got, tt.wantFailure)
			}
			if err != nil {
				return
			}
			if u.Username != "alice" || len(th.cleared) != 1 {
				t.Errorf("user %q, cleared %v", u.Username, th.cleared)
			}
			// A hash of a lower cost than configured is upgraded.
			if ok, rehash, _ := strong.Verify(context.Background(), us.m["alice"].PasswordHash, "right"); !ok || rehash {
				t.Error("the hash was not upgraded to the configured cost")
			}
		})
	}
}
