package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// HomePage shows the six steps of the trade.
type HomePage struct {
	Page
	Steps []Step
}

// Step is one of the six official steps (DOMAIN §3).
type Step struct {
	No               int
	Title, Body, Who string
}

func (s *Server) home(c echo.Context) error {
	p := HomePage{Page: s.page(c)}
	for i := 1; i <= 6; i++ {
		k := "step." + strconv.Itoa(i) + "."
		p.Steps = append(p.Steps, Step{No: i, Title: p.T(k + "title"), Body: p.T(k + "body"), Who: p.T(k + "who")})
	}
	return s.render(c, "home", p)
}
