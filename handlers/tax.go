package handlers

// taxRoutes registers the pages and API of VAT exemption filings (issue 6).
func (s *Server) taxRoutes() {}
