package search

// Page is a page of matches, and how many there are in all.
type Page struct {
	Matches []Match
	// Total counts every match, exactly up to TotalCap; past it Total is
	// TotalCap and Capped is set ("1,000+").
	Total  int
	Capped bool
}

// TotalCap bounds the count Search returns, so that counting the
// matches of a one-letter query does not cost a walk over the library.
const TotalCap = 1000
