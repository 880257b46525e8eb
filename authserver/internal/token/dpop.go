package token

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// ProofVerifier checks DPoP proofs (RFC 9449). *verify.DPoPVerifier
// implements it.
type ProofVerifier interface {
	Verify(ctx context.Context, proof string, req verify.DPoPRequest) (*verify.DPoPProof, error)
	// Nonce is the nonce proofs must carry now; "" when none is required.
	Nonce() string
}

var _ ProofVerifier = (*verify.DPoPVerifier)(nil)

// dpopKey checks the DPoP proof of a token request, if it has one, and
// returns the thumbprint of its key: the key the tokens are bound to
// (RFC 9449 §5). "" means no proof, and bearer tokens. A request may
// carry one DPoP header at most.
func (h *Handler) dpopKey(r *http.Request) (string, error) {
	proofs := r.Header.Values("DPoP")
	switch {
	case len(proofs) == 0:
		return "", nil
	case len(proofs) > 1:
		return "", oautherr.InvalidDPoPProof("more than one DPoP header")
	case h.opts.DPoP == nil:
		return "", oautherr.InvalidDPoPProof("DPoP is not enabled")
	}
	p, err := h.opts.DPoP.Verify(r.Context(), proofs[0], verify.DPoPRequest{
		Method: r.Method,
		URL:    strings.TrimSuffix(h.opts.Issuer, "/") + "/token",
	})
	switch {
	case errors.Is(err, verify.ErrDPoPNonce):
		return "", oautherr.UseDPoPNonce(h.opts.DPoP.Nonce())
	case errors.Is(err, verify.ErrDPoPProof), errors.Is(err, verify.ErrDPoPBinding):
		return "", oautherr.InvalidDPoPProof("the DPoP proof is invalid: " + proofProblem(err))
	case err != nil:
		return "", oautherr.Unavailable(err)
	}
	return p.JKT, nil
}

// proofProblem is what a refused proof's error says after the package's
// prefix: fixed words, never the proof.
func proofProblem(err error) string {
	_, why, _ := strings.Cut(err.Error(), "invalid DPoP proof: ")
	if why == "" {
		return "its key is not the expected one"
	}
	return why
}

// bindRefresh binds the tokens of d to the DPoP key jkt. A public client's
// refresh token is bound to it as well (RFC 9449 §5): only the holder of
// the key can use it, as it has no other credential. A refresh token
// bound to a key is used only with a proof of that key, and its successor
// stays bound to it.
func bindRefresh(d *decision, client store.Client, jkt string) error {
	d.jkt = jkt
	if d.refresh == nil {
		return nil
	}
	if d.refresh.boundTo != "" {
		if d.refresh.boundTo != jkt {
			return invalidRefresh()
		}
		d.refresh.jkt = jkt
		return nil
	}
	if client.Public() && d.refresh.rotateFrom == "" {
		d.refresh.jkt = jkt
	}
	return nil
}
