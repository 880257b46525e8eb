package pages

// ScopeText is how a scope is shown to the person asked to grant it.
type ScopeText struct {
	Scope string
	Text  string
}

// scopeTexts describe the scopes this server knows in words. A scope
// missing here is shown by name.
var scopeTexts = map[string]string{
	"openid":         "Know who you are on this site",
	"profile":        "See your name and username",
	"email":          "See your email address",
	"offline_access": "Stay signed in when you are away",
	"search":         "Search on your behalf",
}

// DescribeScopes returns the words for each scope, in the order given.
func DescribeScopes(scopes []string) []ScopeText {
	out := make([]ScopeText, 0, len(scopes))
	for _, s := range scopes {
		text, ok := scopeTexts[s]
		if !ok {
			text = "Use the permission “" + s + "”"
		}
		out = append(out, ScopeText{Scope: s, Text: text})
	}
	return out
}
