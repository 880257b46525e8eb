package promtext

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are metric families by name.
type Families map[string]*dto.MetricFamily

// Parse parses text in the Prometheus text exposition format.
func Parse(text string) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("promtext: %w", err)
	}
	return fams, nil
}

// Scrape GETs path from h and returns the text it served and its
// families. An answer other than 200 is an error.
func Scrape(h http.Handler, path string) (string, Families, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		return "", nil, fmt.Errorf("promtext: GET %s: %d %s", path, rec.Code, rec.Body)
	}
	text := rec.Body.String()
	fams, err := Parse(text)
	return text, fams, err
}

// Value returns the value of the series of family name with exactly
// labels (nil for none): a counter's or a gauge's value, or a histogram's
// sample count. It is 0 if there is no such series.
func (f Families) Value(name string, labels map[string]string) float64 {
next:
	for _, m := range f[name].GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}
