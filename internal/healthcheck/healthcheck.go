package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBody bounds what is read of the answer.
const maxBody = 64 << 10

// Get asks for target with GET and returns nil if the server answers
// 200 OK within timeout. It uses no proxy from the environment (the
// server is at hand) and follows no redirect: a redirect is an answer
// other than 200.
func Get(ctx context.Context, target string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", target, resp.Status)
	}
	return nil
}
