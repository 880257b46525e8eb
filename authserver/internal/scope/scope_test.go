package scope

import (
	"errors"
	"slices"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

func TestGrantScopes(t *testing.T) {
	tests := []struct {
		name      string
		requested string
		allowed   []string
		user      []string
		want      []string
		wantErr   string
	}{
		{"default is all the client may have", "", []string{"a", "b"}, nil, []string{"a", "b"}, ""},
		{"default limited by user", "", []string{"a", "b"}, []string{"b", "c"}, []string{"b"}, ""},
		{"subset", "b", []string{"a", "b"}, nil, []string{"b"}, ""},
		{"duplicates collapse", "b b a", []string{"a", "b"}, nil, []string{"b", "a"}, ""},
		{"not allowed for client", "c", []string{"a"}, nil, nil, oautherr.CodeInvalidScope},
		{"not allowed for user", "a", []string{"a", "b"}, []string{"b"}, nil, oautherr.CodeInvalidScope},
		{"bad character", "a\\b", []string{"a\\b"}, nil, nil, oautherr.CodeInvalidScope},
		{"non-ascii", "é", []string{"é"}, nil, nil, oautherr.CodeInvalidScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Grant(tt.requested, tt.allowed, tt.user)
			if tt.wantErr != "" {
				var e *oautherr.Error
				if !errors.As(err, &e) || e.Code != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestNarrowAudience(t *testing.T) {
	allowed := []string{"search-api", "other-api"}
	tests := []struct {
		name      string
		resources []string
		want      []string
		wantErr   bool
	}{
		{"default", nil, allowed, false},
		{"narrowed", []string{"other-api"}, []string{"other-api"}, false},
		{"repeated", []string{"other-api", "other-api"}, []string{"other-api"}, false},
		{"foreign", []string{"https://evil.example"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Audience(tt.resources, allowed)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRestrictAndWithin(t *testing.T) {
	if got := Restrict([]string{"a", "b"}, nil); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("restrict with no limit = %v", got)
	}
	if got := Within([]string{"a", "b"}, nil); len(got) != 0 {
		t.Errorf("within nothing = %v", got)
	}
	if got := Restrict([]string{"a", "b"}, []string{"b"}); !slices.Equal(got, []string{"b"}) {
		t.Errorf("restrict = %v", got)
	}
}
