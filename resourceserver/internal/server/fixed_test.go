package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestFixedAnswersAsCJSON holds the pre-encoded answers to what c.JSON
// sends for the same value: body and Content-Type.
func TestFixedAnswersAsCJSON(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tt := range []struct {
		body []byte
		v    message
	}{
		{rootBody, message{"Welcome to Test App for Security"}},
		{appleBody, message{"found apple in search"}},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.JSON(http.StatusOK, tt.v)
		if got := w.Body.String(); got != string(tt.body) {
			t.Errorf("c.JSON sends %q, the fixed answer is %q", got, tt.body)
		}
		if ct := w.Header().Get("Content-Type"); ct != jsonContentType {
			t.Errorf("c.JSON sends Content-Type %q, the fixed answer %q", ct, jsonContentType)
		}
	}
}
