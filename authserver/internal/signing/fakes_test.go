package signing_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
)

// memStore is an in-memory signing.KeyStore.
type memStore struct {
	mu      sync.Mutex
	keys    map[string]store.SigningKey
	listErr error
	// lists receives a value after each ListSigningKeys call, if set.
	lists chan struct{}
}

var _ signing.KeyStore = (*memStore)(nil)

func newMemStore(keys ...store.SigningKey) *memStore {
	s := &memStore{keys: make(map[string]store.SigningKey)}
	for _, k := range keys {
		s.keys[k.ID] = k
	}
	return s
}

func (s *memStore) CreateSigningKey(_ context.Context, k store.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return store.ErrAlreadyExists
	}
	k.PrivateKey = slices.Clone(k.PrivateKey)
	s.keys[k.ID] = k
	return nil
}

func (s *memStore) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	s.mu.Lock()
	out := make([]store.SigningKey, 0, len(s.keys))
	for _, k := range s.keys {
		k.PrivateKey = slices.Clone(k.PrivateKey)
		out = append(out, k)
	}
	err := s.listErr
	lists := s.lists
	s.mu.Unlock()
	if lists != nil {
		lists <- struct{}{}
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.SigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (s *memStore) DeleteSigningKey(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.keys, id)
	return nil
}

func (s *memStore) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *memStore) all() []store.SigningKey {
	keys, _ := s.ListSigningKeys(context.Background())
	return keys
}

// replace overwrites the stored key with that ID.
func (s *memStore) replace(k store.SigningKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
}

func (s *memStore) setLists(c chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists = c
}

func (s *memStore) setListErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listErr = err
}

type clock = testclock.Clock

func newClock(t time.Time) *clock { return testclock.New(t) }
